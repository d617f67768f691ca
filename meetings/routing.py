"""The live sockets' paths (docs/protocol.md). A path that names no socket, a meeting id that is not
1-18 ASCII digits among them (the `id` converter, meetings/ids.py), reaches `NoSuchSocket`, which
closes with 4404: channels' router would raise "No route found", which daphne answers with HTTP 500
and a traceback in its log."""

from __future__ import annotations

from typing import Any

from channels.routing import URLRouter
from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    # Channels' URLRouter takes ASGI apps in Django's path(); the stubs know only views.
    path("ws/meetings/<id:meeting_id>/", consumers.MeetingConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/public/meetings/<id:meeting_id>/", consumers.PublicMeetingConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(r"", consumers.NoSuchSocket.as_asgi()),  # type: ignore[arg-type]  # last: any other path
]


class SocketRouter(URLRouter):
    """Channels' URLRouter, except for a root path (ASGI `root_path`) that the path does not start
    with: URLRouter raises ValueError on it, Django's HTTP handler ignores it, and so does this. A
    client sets it itself with daphne's `Daphne-Root-Path` header."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if not scope["path"].startswith(scope.get("root_path", "")):
            scope = {**scope, "root_path": ""}
        return await super().__call__(scope, receive, send)


websocket_application = SocketRouter(websocket_urlpatterns)  # type: ignore[arg-type]  # as above: path() of ASGI apps
