from django.urls import path

from . import api, views

urlpatterns = [
    path("meetings/<id:meeting_id>/captions.vtt", views.captions_vtt, name="captions-vtt"),
    path("meetings/<id:meeting_id>/transcript/", views.transcript, name="transcript"),
    path("clerk/meetings/<id:meeting_id>/captions/", views.caption_editor, name="caption-editor"),
]

# The REST endpoints; config/urls.py includes them ahead of meetings' `api/` catch-all.
api_urlpatterns = [
    path("api/meetings/<id:pk>/captions/", api.CaptionsAPI.as_view(), name="api-captions"),
    path("api/meetings/<id:pk>/captions/cues/<id:index>/", api.CueAPI.as_view(), name="api-captions-cue"),
    path("api/meetings/<id:pk>/captions/approve/", api.ApproveCaptionsAPI.as_view(), name="api-captions-approve"),
]
