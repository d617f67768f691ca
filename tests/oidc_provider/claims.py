"""What the provider says about a user: the claims of the spec's user record, and a session id (`sid`)
that the ID token and the front-channel logout agree on without storing it."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings


def user_record(username: str) -> dict[str, Any]:
    return next(user for user in settings.SPEC["users"] if user["username"] == username)


def session_id(user: Any) -> str:
    # One provider session per login: the user and the moment they logged in.
    return hashlib.sha256(f"{user.pk}:{user.last_login.timestamp()}".encode()).hexdigest()[:32]
