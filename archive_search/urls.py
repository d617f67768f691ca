from django.urls import path

from . import views

urlpatterns = [
    path("archive/search/", views.search_page, name="archive-search"),
]
