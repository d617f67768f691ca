from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from captions.urls import api_urlpatterns as captions_api_urls
from meetings.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # The scripts' translations: the same gettext catalogues as the templates (locale/*/djangojs.po).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("minutes.api_urls")),  # before meetings' api/ catch-all, which would shadow it
    path("", include("archive_search.api_urls")),  # likewise ahead of the catch-all
    path("", include(captions_api_urls)),  # the same
    path("api/", include("meetings.urls")),
    path("", include("meetings.public_urls")),
    path("", include("livestream.urls")),
    path("", include("captions.urls")),
    path("", include("minutes.urls")),
    path("", include("archive_search.urls")),
    path("", include("accounts.urls")),  # before frontend's accounts/ (django.contrib.auth's URLs)
    path("", include("frontend.urls")),
]
