"""Wired in config/urls.py ahead of meetings' `api/` routes, whose catch-all answers any unknown
/api/ path with a JSON 404."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/search/", views.SearchAPI.as_view(), name="api-search"),
]
