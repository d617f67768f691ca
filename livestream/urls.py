from django.urls import path

from . import views

urlpatterns = [
    path("live/<id:meeting_id>/webrtc/offer", views.webrtc_offer, name="live-webrtc-offer"),
    path("live/<str:meeting_id>/webrtc/offer", views.webrtc_offer_bad_id),
    path("live/<id:meeting_id>/<str:name>", views.stream_file, name="live-file"),
]
