from django.apps import AppConfig
from django.core import checks


class MeetingsConfig(AppConfig):
    name = "meetings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .checks import demo_logins

        checks.register(demo_logins, checks.Tags.security, deploy=True)
