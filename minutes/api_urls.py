"""The minutes' REST endpoints. Wired in config/urls.py ahead of meetings' `api/` routes, whose
catch-all answers any unknown /api/ path with a JSON 404."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/meetings/<id:pk>/minutes/", views.MinutesAPI.as_view(), name="api-minutes"),
    path("api/meetings/<id:pk>/minutes/release-decision/", views.ReleaseDecisionAPI.as_view(),
         name="api-minutes-release-decision"),
    path("api/meetings/<id:pk>/minutes/signatories/", views.SignatoriesAPI.as_view(), name="api-minutes-signatories"),
    path("api/meetings/<id:pk>/minutes/sign/", views.SignAPI.as_view(), name="api-minutes-sign"),
    path("api/meetings/<id:pk>/minutes/approve/", views.ApproveAPI.as_view(), name="api-minutes-approve"),
    path("api/meetings/<id:pk>/minutes/approval/", views.ApprovalAPI.as_view(), name="api-minutes-approval"),
]
