from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from . import oidc


def oidc_login(request: HttpRequest) -> dict[str, str]:
    """The provider's name for the login page's button; empty while no provider is configured."""
    return {"oidc_provider_name": settings.OIDC_PROVIDER_NAME if oidc.enabled() else ""}
