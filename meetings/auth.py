"""WebSocket authentication by API token (`?token=` or `Authorization: Token ...`), after the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for_token(key: str) -> Any:
    # The same check as the REST API's: an expired or revoked token, or an inactive owner, is no login.
    from .services.tokens import token_authenticate

    token = token_authenticate(key=key)
    return token.user if token else None


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
            user = await _user_for_token(key)
            if user is not None:
                scope = {**scope, "user": user}
        return await super().__call__(scope, receive, send)  # type: ignore[arg-type]
