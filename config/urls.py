from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path

from meetings.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("minutes.api_urls")),  # before meetings' api/ catch-all, which would shadow it
    path("api/", include("meetings.urls")),
]

# The apps below land in steps; each is wired as soon as its url module exists.
for module in ("meetings.public_urls", "livestream.urls", "minutes.urls", "frontend.urls"):
    if find_spec(module) is not None:
        urlpatterns.append(path("", include(module)))
