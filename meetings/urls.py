from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import api, api_errors, api_pages, commands

urlpatterns = [
    path("bodies/", api.BodyList.as_view(), name="api-bodies"),
    path("bodies/<id:pk>/", api.BodyDetail.as_view(), name="api-body"),
    path("bodies/<id:pk>/members/", api.BodyMembers.as_view(), name="api-body-members"),
    path("meetings/", api.MeetingList.as_view(), name="api-meetings"),
    path("meetings/<id:pk>/", api.MeetingDetail.as_view(), name="api-meeting"),
    path("meetings/<id:pk>/notice/", api.MeetingNotice.as_view(), name="api-meeting-notice"),
    path("meetings/<id:pk>/publish-notice/", api.PublishNotice.as_view(), name="api-meeting-publish-notice"),
    path("meetings/<id:pk>/items/", api.MeetingItems.as_view(), name="api-meeting-items"),
    path("meetings/<id:pk>/events/", api.MeetingEvents.as_view(), name="api-meeting-events"),
    path("meetings/<id:pk>/state/", api.MeetingState.as_view(), name="api-meeting-state"),
    path("meetings/<id:pk>/exemption/", api.ApplyExemption.as_view(), name="api-meeting-exemption"),
    *(path(f"meetings/<id:pk>/actions/{name}/", api.MeetingAction.as_view(command=name),
           name=f"api-meeting-action-{name}") for name in commands.COMMANDS),
    path("meetings/<id:pk>/actions/<str:command>/", api.UnknownMeetingAction.as_view(), name="api-meeting-action"),
    path("meetings/<id:pk>/location/", api.MeetingLocation.as_view(), name="api-meeting-location"),
    path("items/<id:pk>/", api.ItemDetail.as_view(), name="api-item"),
    path("items/<id:pk>/move/", api.ItemMove.as_view(), name="api-item-move"),
    path("items/<id:pk>/documents/", api.ItemDocuments.as_view(), name="api-item-documents"),
    path("exemption-profiles/", api.ExemptionProfileList.as_view(), name="api-exemption-profiles"),
    path("commands/", api.CommandList.as_view(), name="api-commands"),
    path("auth/token/", api.TokenObtain.as_view(), name="api-token"),
    path("auth/tokens/", api.TokenList.as_view(), name="api-tokens"),
    path("auth/tokens/<id:pk>/", api.TokenDetail.as_view(), name="api-token-revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", csp_update(api_pages.INLINE_STYLE)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
    path("", api.ApiRoot.as_view(), name="api-root"),
    # Last: any other /api/ path, a newline in it too, answers JSON.
    re_path(r"^(?P<unmatched>[\s\S]*)\Z", api_errors.not_found),
]
