from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/meetings/<int:meeting_id>/", consumers.MeetingConsumer.as_asgi()),
    path("ws/public/meetings/<int:meeting_id>/", consumers.PublicMeetingConsumer.as_asgi()),
]
