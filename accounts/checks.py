"""A provider login that cannot work is refused at start (`manage.py check`), not at a member's login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

METHODS = {"client_secret_basic", "client_secret_post", "private_key_jwt"}


@register()
def oidc_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.OIDC_DISCOVERY_URL:
        return []
    problems = []
    if not settings.OIDC_CLIENT_ID:
        problems.append("OIDC_CLIENT_ID is empty")
    method = settings.OIDC_CLIENT_AUTH_METHOD
    if method not in METHODS:
        problems.append(f"OIDC_CLIENT_AUTH_METHOD {method!r} is none of {', '.join(sorted(METHODS))}")
    elif method == "private_key_jwt" and not Path(settings.OIDC_PRIVATE_KEY_FILE or "/nonexistent").is_file():
        problems.append("private_key_jwt needs OIDC_PRIVATE_KEY_FILE, a PEM file that exists")
    elif method != "private_key_jwt" and not settings.OIDC_CLIENT_SECRET:
        problems.append(f"{method} needs OIDC_CLIENT_SECRET")
    return [Error(problem, hint="docs/idporten.md", id="accounts.E001") for problem in problems]
