from django.apps import AppConfig


class CaptionsConfig(AppConfig):
    name = "captions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from meetings import events

        from .listeners import on_event

        events.add_listener(on_event)  # a meeting that ends queues its captions job
