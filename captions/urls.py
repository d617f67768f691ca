from django.urls import path

from . import views

urlpatterns = [
    path("meetings/<id:meeting_id>/captions.vtt", views.captions_vtt, name="captions-vtt"),
    path("meetings/<id:meeting_id>/transcript/", views.transcript, name="transcript"),
]
