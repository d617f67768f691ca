from django.urls import path

from . import views

urlpatterns = [
    path("meetings/<id:meeting_id>/minutes/", views.minutes_html, name="minutes-html"),
    path("meetings/<id:meeting_id>/minutes/sign/", views.minutes_sign, name="minutes-sign"),
    path("meetings/<id:meeting_id>/minutes.pdf", views.minutes_pdf, name="minutes-pdf"),
    path("meetings/<id:meeting_id>/minutes.json", views.minutes_json, name="minutes-json"),
    path("archive/", views.archive, name="archive"),
    path("feeds/minutes.atom", views.MinutesFeed(), name="feed-minutes"),
    path("feeds/notices.atom", views.NoticesFeed(), name="feed-notices"),
    path("feeds/meetings.ics", views.meetings_ics, name="feed-meetings"),
]
