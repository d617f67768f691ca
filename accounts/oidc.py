"""The OpenID Connect relying party, ID-porten-ready, on Authlib's Django client (docs/idporten.md).

Authlib reads the provider's discovery document, sends the authorization request with PKCE (S256) and a
nonce, fetches the tokens (client secret or private_key_jwt) and checks the ID token's signature, issuer,
audience, expiry and nonce. This module adds the platform's own rules: the level of assurance (`acr`)
that is accepted and which person a login is.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from meetings.models import Person

log = logging.getLogger(__name__)

# Seconds a client assertion is valid: ID-porten accepts at most 120.
ASSERTION_LIFETIME = 60


class LoginRefused(Exception):
    """A login the provider completed that this platform does not accept; `reason` names which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def enabled() -> bool:
    return bool(settings.OIDC_DISCOVERY_URL)


class _IssuerAudienceJWT(PrivateKeyJWT):  # type: ignore[misc]
    """private_key_jwt with the provider's issuer as the assertion's audience (ID-porten requires it; RFC
    7523 allows it beside the token endpoint), a short lifetime and the key's id in the header."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        now = int(time.time())
        self.claims = {"aud": provider().load_server_metadata()["issuer"], "iat": now, "exp": now + ASSERTION_LIFETIME}
        return super().sign(auth, token_endpoint)


@cache
def provider() -> DjangoOAuth2App:
    """The provider's client, built once per process from the settings."""
    method = settings.OIDC_CLIENT_AUTH_METHOD
    secret = settings.OIDC_CLIENT_SECRET
    auth_methods = []
    if method == "private_key_jwt":
        secret = Path(settings.OIDC_PRIVATE_KEY_FILE).read_text()  # Authlib signs with the "secret"
        headers = {"kid": settings.OIDC_PRIVATE_KEY_ID} if settings.OIDC_PRIVATE_KEY_ID else None
        auth_methods = [_IssuerAudienceJWT(headers=headers)]
    oauth = OAuth()
    oauth.register(
        "oidc",
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=secret,
        server_metadata_url=settings.OIDC_DISCOVERY_URL,
        client_auth_methods=auth_methods,
        client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256",
                       "token_endpoint_auth_method": method},
    )
    client: DjangoOAuth2App = oauth.create_client("oidc")
    return client


def browser_origins() -> list[str]:
    """The origins of the provider's pages the browser goes to (ID-porten's login.idporten.no, beside the
    idporten.no of its discovery document): logging out is a form whose answer redirects there, and its
    front-channel logout frames ours from there. Empty while the discovery document cannot be read."""
    try:
        metadata = provider().load_server_metadata()
    except Exception:  # noqa: BLE001 - a provider that is down must not break the page being served
        log.warning("OpenID Connect discovery document unreadable", exc_info=True)
        return []
    return endpoint_origins(metadata)


def endpoint_origins(metadata: dict[str, Any]) -> list[str]:
    urls = [metadata.get(name) for name in ("authorization_endpoint", "end_session_endpoint")]
    return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls if isinstance(url, str) and url})


def authorization_params(*, language: str) -> dict[str, str]:
    """What the authorization request asks for beside Authlib's own parameters."""
    params = {"ui_locales": language}
    if settings.OIDC_ACR_VALUES:
        params["acr_values"] = settings.OIDC_ACR_VALUES
    return params


def check_acr(claims: dict[str, Any]) -> None:
    """The level of assurance the provider states in the ID token must be one the platform accepts: a
    provider may answer a lower level than asked for (or a client may have had the request altered)."""
    if settings.OIDC_ACCEPTED_ACR and claims.get("acr") not in settings.OIDC_ACCEPTED_ACR:
        raise LoginRefused("acr")


def user_for_claims(claims: dict[str, Any]) -> User:
    """The active user of the person the ID token names by OIDC_PERSON_CLAIM; never a new account."""
    claim = settings.OIDC_PERSON_CLAIM
    value = claims.get(claim)
    if not isinstance(value, str) or not value:
        raise LoginRefused("unknown_person")
    user: User | None
    if claim == "email":
        user = get_user_model().objects.filter(email__iexact=value, is_active=True).first()
        if user is not None and claims.get("email_verified") is False:
            user = None  # an address the provider has not checked names nobody
    else:
        person = Person.objects.select_related("user").filter(login_id=value).first()
        user = person.user if person is not None else None
    if user is None or not user.is_active:
        raise LoginRefused("unknown_person")
    return user
