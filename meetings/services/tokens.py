"""API tokens: one per device, expiring after API_TOKEN_TTL_HOURS, listed and revoked by their owner.

The REST authentication (`meetings/api_auth.py`) and the member socket's `?token=` (`meetings/auth.py`)
both ask `token_authenticate`, so an expired or revoked token is refused the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..exceptions import NotFound
from ..models import ApiToken

# Longer keys are refused before any lookup (a key is 43 characters).
MAX_KEY_LENGTH = 64
LABEL_MAX_LENGTH = ApiToken._meta.get_field("label").max_length or 100
# `last_used` is written at most once per this interval, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_create(*, user: Any, label: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key, which is not stored and cannot be shown again.

    The owner's expired tokens are deleted on the way: they can never be used again.
    """
    now = timezone.now()
    ApiToken.objects.filter(user=user, expires__lte=now).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=_digest(key), label=label[:LABEL_MAX_LENGTH], created=now,
                                    expires=now + token_ttl())
    return token, key


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this key and an active owner, or None (unknown, expired, revoked, inactive)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(digest=_digest(key), expires__gt=now).first()
    if token is None or not token.user.is_active:
        return None
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def token_revoke(*, user: Any, token_id: int) -> None:
    deleted, _per_model = ApiToken.objects.filter(user=user, id=token_id).delete()
    if not deleted:
        # Someone else's token answers the same as a missing one: ids reveal nothing.
        raise NotFound("You have no token %(id)s.", params={"id": token_id})


def token_revoke_all(*, user: Any) -> int:
    deleted, _per_model = ApiToken.objects.filter(user=user).delete()
    return deleted
