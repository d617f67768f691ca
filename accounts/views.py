"""Logging in and out with the OpenID provider, beside the local passwords (accounts/oidc.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from importlib import import_module

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from joserfc.errors import JoseError
from requests import RequestException

from . import oidc
from .models import OidcLogin

log = logging.getLogger(__name__)

NEXT_KEY = "oidc_next"
ID_TOKEN_KEY = "oidc_id_token"  # kept for the logout's id_token_hint


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = settings.LOGIN_REDIRECT_URL
    request.session[NEXT_KEY] = next_url
    redirect_uri = request.build_absolute_uri(reverse("oidc-callback"))
    response: HttpResponse = oidc.provider().authorize_redirect(
        request, redirect_uri, **oidc.authorization_params(language=get_language()))
    return response


@require_GET
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404
    try:
        token = oidc.provider().authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise OAuthError(description="no ID token")
        oidc.check_acr(claims)
        user = oidc.user_for_claims(claims)
    # Authlib's errors (a wrong state, the provider's error answers), the ID token's, the network's.
    except (AuthlibBaseError, JoseError, RequestException) as error:
        log.warning("OpenID Connect login failed: %r", error)
        return refused(request, reason="failed", status=400)
    except oidc.LoginRefused as refusal:
        log.info("OpenID Connect login refused: %s (acr %r)", refusal.reason, claims.get("acr"))
        return refused(request, reason=refusal.reason, status=403)
    next_url = request.session.pop(NEXT_KEY, settings.LOGIN_REDIRECT_URL)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[ID_TOKEN_KEY] = token["id_token"]
    request.session.save()  # the key the front-channel logout finds it by
    # Sessions end by themselves too (SESSION_COOKIE_AGE); their rows go once they cannot matter.
    OidcLogin.objects.filter(created__lt=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)).delete()
    OidcLogin.objects.create(session_key=request.session.session_key or "", issuer=claims["iss"],
                             sid=claims.get("sid", ""))
    return HttpResponseRedirect(next_url)


def refused(request: HttpRequest, *, reason: str, status: int) -> HttpResponse:
    return render(request, "accounts/refused.html",
                  {"reason": reason, "provider": settings.OIDC_PROVIDER_NAME}, status=status)


class LogoutView(auth_views.LogoutView):
    """Django's logout; a login made with the provider then also ends at the provider (RP-initiated
    logout through its end_session_endpoint), which sends the browser back to the home page."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        id_token = request.session.get(ID_TOKEN_KEY)
        OidcLogin.objects.filter(session_key=request.session.session_key or "").delete()
        response = super().post(request, *args, **kwargs)
        if id_token and oidc.enabled():
            client = oidc.provider()
            if client.load_server_metadata().get("end_session_endpoint"):
                end = client.create_logout_url(post_logout_redirect_uri=request.build_absolute_uri("/"),
                                               id_token_hint=id_token, ui_locales=get_language())
                return HttpResponseRedirect(end["url"])
        return response


@require_GET
@never_cache
@xframe_options_exempt
def frontchannel_logout(request: HttpRequest) -> HttpResponse:
    """OpenID Connect Front-Channel Logout: the provider loads this in a frame when the person logs out
    there (or at another service). With iss and sid, every session of that provider session ends, found
    on the server since the frame's request may carry no cookie; without them, the browser's own."""
    if not oidc.enabled():
        raise Http404
    issuer, sid = request.GET.get("iss", ""), request.GET.get("sid", "")
    if sid:
        logins = OidcLogin.objects.filter(issuer=issuer, sid=sid)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session_key in logins.values_list("session_key", flat=True):
            store().delete(session_key)
        logins.delete()
    elif ID_TOKEN_KEY in request.session:
        OidcLogin.objects.filter(session_key=request.session.session_key or "").delete()
        auth_logout(request)
    response = HttpResponse("Logged out.", content_type="text/plain; charset=utf-8")
    response._csp_replace = {"frame-ancestors": oidc.browser_origins() or ["'none'"]}  # type: ignore[attr-defined]
    return response
