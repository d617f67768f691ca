from django.urls import path

from . import consumers

websocket_urlpatterns = [
    # Channels' URLRouter takes ASGI apps in Django's path(); the stubs know only views.
    path("ws/meetings/<int:meeting_id>/", consumers.MeetingConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/public/meetings/<int:meeting_id>/", consumers.PublicMeetingConsumer.as_asgi()),  # type: ignore[arg-type]
]
