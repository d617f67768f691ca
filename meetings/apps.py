from django.apps import AppConfig
from django.core import checks


class MeetingsConfig(AppConfig):
    name = "meetings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import register_converter

        from .ids import IdConverter

        # `<id:meeting_id>` in every URL pattern: bounded ASCII digits (meetings/ids.py). Registered here,
        # before any URLconf is imported (they are imported on the first request, after setup).
        register_converter(IdConverter, "id")

        from .checks import demo_logins

        checks.register(demo_logins, checks.Tags.security, deploy=True)
