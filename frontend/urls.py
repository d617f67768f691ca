from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("meetings/<id:meeting_id>/", views.meeting_page, name="meeting"),
    path("meetings/<id:meeting_id>/room/", views.room, name="room"),
    path("meetings/<id:meeting_id>/documents/<id:document_id>/", views.public_document, name="public-document"),
    path("meetings/<id:meeting_id>/papers/<id:document_id>/", views.paper_file, name="paper-file"),
    path("meetings/<id:meeting_id>/papers.zip", views.papers_zip, name="papers-zip"),
    path("meetings/<id:meeting_id>/absence/", views.report_absence, name="report-absence"),
    path("clerk/", views.clerk, name="clerk"),
    path("clerk/meetings/<id:meeting_id>/", views.clerk_meeting, name="clerk-meeting"),
    path("clerk/meetings/<id:meeting_id>/noark5.zip", views.clerk_archive_package, name="clerk-archive-package"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
