"""The Content-Security-Policy of a page seen with a provider login allows the logout form's redirect
to the provider's end_session_endpoint (form-action covers a form's redirects)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import oidc
from .views import ID_TOKEN_KEY


class ProviderLogoutFormAction:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if oidc.enabled() and ID_TOKEN_KEY in getattr(request, "session", {}):
            origins = oidc.browser_origins()
            if origins:
                response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response
