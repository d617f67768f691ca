from django.apps import AppConfig


class ArchiveSearchConfig(AppConfig):
    name = "archive_search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from captions.signals import cues_changed
        from meetings import events

        from .listeners import on_cues_changed, on_event

        events.add_listener(on_event)
        cues_changed.connect(on_cues_changed, dispatch_uid="archive_search.on_cues_changed")
