from django.urls import path

from . import public_views

urlpatterns = [
    path("public/meetings/<id:meeting_id>/state.json", public_views.state_json, name="public-state"),
]
