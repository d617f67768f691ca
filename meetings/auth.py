"""WebSocket authentication by API token (`?token=` or `Authorization: Token ...`), after the session,
and whether the login a socket was opened with still holds (`login_is_live`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone

TOKEN_SCOPE_KEY = "api_token_id"  # the scope names the token a socket was opened with


@database_sync_to_async
def _token_for_key(key: str) -> Any:
    # The same check as the REST API's: an expired or revoked token, or an inactive owner, is no login.
    from .services.tokens import token_authenticate

    return token_authenticate(key=key)


def login_is_live(scope: dict[str, Any]) -> bool:
    """Whether the login that opened this socket still holds: its API token neither expired nor revoked,
    or its session neither expired nor logged out (nor its password changed), and the user active."""
    from .models import ApiToken

    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    token_id = scope.get(TOKEN_SCOPE_KEY)
    if token_id is not None:
        return ApiToken.objects.filter(id=token_id, expires__gt=timezone.now(), user__is_active=True).exists()
    session = scope.get("session")
    if session is None or not session.session_key:
        return False
    # A fresh store reads the session again: an expired or deleted (logged out) session loads empty.
    data = session.__class__(session_key=session.session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    fresh = type(user).objects.filter(pk=user.pk, is_active=True).first()
    return fresh is not None and data.get(HASH_SESSION_KEY) == fresh.get_session_auth_hash()


class TokenAuthMiddleware(BaseMiddleware):
    # channels' stubs type the scope as a TypedDict that a plain dict copy cannot satisfy.
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:  # type: ignore[override]
        key = None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.lower().startswith(b"token "):
                key = value[6:].decode("latin-1").strip()
        if key is None:
            key = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [None])[0]
        if key and len(key) <= 64:
            token = await _token_for_key(key)
            if token is not None:
                scope = {**scope, "user": token.user, TOKEN_SCOPE_KEY: token.id}
        return await super().__call__(scope, receive, send)  # type: ignore[arg-type]
