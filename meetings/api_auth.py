"""REST authentication by expiring API token (`Authorization: Token <key>`, services/tokens.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import tokens


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing (so the scheme stays `Token` and the OpenAPI schema names it), our tokens."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = tokens.token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked: log in again."))
        return token.user, token
