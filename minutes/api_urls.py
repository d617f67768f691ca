"""The minutes' REST endpoints. Wired in config/urls.py ahead of meetings' `api/` routes, whose
catch-all answers any unknown /api/ path with a JSON 404."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/meetings/<id:pk>/minutes/", views.MinutesAPI.as_view(), name="api-minutes"),
    path("api/meetings/<id:pk>/minutes/release-decision/", views.ReleaseDecisionAPI.as_view(),
         name="api-minutes-release-decision"),
]
