from django.apps import AppConfig


class LivestreamConfig(AppConfig):
    name = "livestream"
    default_auto_field = "django.db.models.BigAutoField"
