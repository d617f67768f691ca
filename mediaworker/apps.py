from django.apps import AppConfig


class MediaworkerConfig(AppConfig):
    name = "mediaworker"
