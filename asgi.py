"""ASGI entry point: HTTP to Django, WebSockets to the meeting consumers (meetings/routing.py), and
in the embedded mode the media worker(s) on the same event loop (mediaworker/embedded.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# /static/ is served by WhiteNoise inside Django's middleware (config/settings.py), not here.
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if not settings.DEBUG:
    # daphne runs no system checks as it starts: with DEBUG=0 it refuses to serve on a security error,
    # such as logins that still have the published demo password (meetings/checks.py).
    from meetings.checks import refuse_to_serve_on_security_errors

    refuse_to_serve_on_security_errors()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from mediaworker.embedded import EmbeddedMediaWorker  # noqa: E402
from meetings.auth import TokenAuthMiddleware  # noqa: E402
from meetings.routing import websocket_application  # noqa: E402

# Origin must match ALLOWED_HOSTS (a page on another site cannot drive a member's session).
websocket_app = AllowedHostsOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(websocket_application)))

# Embedded mode (MEDIA_IN_PROCESS): the media worker(s) start on the loop that serves the first connection.
application = EmbeddedMediaWorker(ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app}))
