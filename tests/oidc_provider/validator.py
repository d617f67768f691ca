"""django-oauth-toolkit's validator with what the login tests need of an ID-porten-like provider:
the user record's claims (pid, acr) and a session id in the ID token, and private_key_jwt client
authentication (RFC 7523), which django-oauth-toolkit does not have: the client assertion is checked
against the client's public keys from the spec."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from django.conf import settings
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

from .claims import session_id, user_record

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_seen_assertions: set[str] = set()  # jti: an assertion is good once


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        record = user_record(request.user.username)
        claims = {name: record[name] for name in ("pid", "acr", "email") if name in record}
        claims["sid"] = session_id(request.user)
        return claims

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        body = dict(request.decoded_body or [])
        if body.get("client_assertion_type") == ASSERTION_TYPE:
            return self._authenticate_client_assertion(request, body.get("client_assertion", ""))
        return bool(super().authenticate_client(request, *args, **kwargs))

    def _authenticate_client_assertion(self, request: Any, assertion: str) -> bool:
        try:
            payload = assertion.split(".")[1]
            client_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"]
            client = next(c for c in settings.SPEC["clients"] if c["client_id"] == client_id and "jwks" in c)
            keys = jwk.JWKSet.from_json(json.dumps(client["jwks"]))
            checked = jwt.JWT(jwt=assertion, key=keys, algs=["RS256"],
                              check_claims={"iss": client_id, "sub": client_id, "exp": None, "jti": None})
            claims = json.loads(checked.claims)
        except Exception:  # noqa: BLE001 - any malformed or unverifiable assertion is simply no login
            return False
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if not {settings.SPEC["issuer"], request.uri.split("?")[0]} & set(audience):
            return False
        if claims["exp"] > time.time() + 120 or claims["jti"] in _seen_assertions:
            return False
        _seen_assertions.add(claims["jti"])
        if self._load_application(client_id, request) is None:
            return False
        request.client_id = client_id
        return True
