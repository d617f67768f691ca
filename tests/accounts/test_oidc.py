"""The relying party's own rules (accounts/oidc.py) and that the login stays local until configured.
The flow against a real provider is tests/browser/test_oidc_login.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts import oidc
from meetings.models import Person

pytestmark = pytest.mark.django_db

DISCOVERY = "https://test.idporten.no/.well-known/openid-configuration"


def _person(username: str, *, login_id: str = "", email: str = "", active: bool = True) -> Person:
    user = get_user_model().objects.create_user(username=username, email=email, is_active=active)
    return Person.objects.create(user=user, name=username.title(), login_id=login_id)


def test_it_offers_no_provider_login_by_default(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "ID-porten" not in page.content.decode()
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404
    assert client.get("/accounts/oidc/logout/frontchannel/?iss=x&sid=y").status_code == 404


def test_it_offers_the_provider_login_when_configured(client, settings):
    settings.OIDC_DISCOVERY_URL = DISCOVERY
    page = client.get("/accounts/login/?next=/archive/", HTTP_ACCEPT_LANGUAGE="nn")
    assert '<a class="button" href="/accounts/oidc/login/?next=/archive/">Logg inn med ID-porten</a>' in (
        page.content.decode())


def test_it_logs_a_local_login_out_without_the_provider(client, settings):
    settings.OIDC_DISCOVERY_URL = DISCOVERY
    user = _person("lokal").user
    client.force_login(user)
    answer = client.post("/accounts/logout/")
    assert "idporten" not in answer.get("Location", "")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("acr", ["idporten-loa-substantial", "idporten-loa-high"])
def test_it_accepts_the_required_level_or_higher(acr):
    oidc.check_acr({"acr": acr})


@pytest.mark.parametrize("claims", [{"acr": "idporten-loa-low"}, {"acr": "Level3"}, {}])
def test_it_refuses_a_lower_or_missing_level(claims):
    with pytest.raises(oidc.LoginRefused) as refused:
        oidc.check_acr(claims)
    assert refused.value.reason == "acr"


def test_it_finds_the_person_by_their_pid():
    person = _person("kari", login_id="12345678901")
    _person("ola", login_id="10987654321")
    assert oidc.user_for_claims({"pid": "12345678901", "sub": "abc"}) == person.user


@pytest.mark.parametrize("claims", [{"pid": "55555555555"}, {"sub": "12345678901"}, {"pid": ""}, {"pid": None}])
def test_it_refuses_a_pid_it_does_not_know(claims):
    _person("kari", login_id="12345678901")
    _person("tom")  # no login id: an empty claim must not find him
    with pytest.raises(oidc.LoginRefused) as refused:
        oidc.user_for_claims(claims)
    assert refused.value.reason == "unknown_person"


def test_it_refuses_a_person_whose_user_is_inactive():
    _person("kari", login_id="12345678901", active=False)
    with pytest.raises(oidc.LoginRefused):
        oidc.user_for_claims({"pid": "12345678901"})


def test_it_matches_by_sub_or_by_a_verified_email_when_configured(settings):
    person = _person("kari", login_id="idp-7f3a", email="Kari@Kommune.no")
    settings.OIDC_PERSON_CLAIM = "sub"
    assert oidc.user_for_claims({"sub": "idp-7f3a"}) == person.user
    settings.OIDC_PERSON_CLAIM = "email"
    assert oidc.user_for_claims({"email": "kari@kommune.no", "email_verified": True}) == person.user
    with pytest.raises(oidc.LoginRefused):
        oidc.user_for_claims({"email": "kari@kommune.no", "email_verified": False})


def test_it_asks_for_the_level_and_the_pages_language():
    assert oidc.authorization_params(language="nn") == {"ui_locales": "nn", "acr_values": "idporten-loa-substantial"}


def test_it_refuses_to_start_with_a_provider_it_cannot_log_in_with(settings, tmp_path):
    from accounts.checks import oidc_settings

    assert oidc_settings(None) == []  # off: nothing to check
    settings.OIDC_DISCOVERY_URL = DISCOVERY
    settings.OIDC_CLIENT_AUTH_METHOD = "private_key_jwt"
    assert [e.msg for e in oidc_settings(None)] == [
        "OIDC_CLIENT_ID is empty", "private_key_jwt needs OIDC_PRIVATE_KEY_FILE, a PEM file that exists"]
    settings.OIDC_CLIENT_ID = "moter"
    settings.OIDC_PRIVATE_KEY_FILE = str(tmp_path / "key.pem")
    (tmp_path / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    assert oidc_settings(None) == []
    settings.OIDC_CLIENT_AUTH_METHOD = "client_secret_basic"
    assert [e.msg for e in oidc_settings(None)] == ["client_secret_basic needs OIDC_CLIENT_SECRET"]


def test_the_browsers_provider_origins_are_its_login_and_logout_pages():
    # ID-porten's discovery document, abridged: the browser's pages are on login.idporten.no.
    metadata = {"issuer": "https://idporten.no", "authorization_endpoint": "https://login.idporten.no/authorize",
                "token_endpoint": "https://idporten.no/token", "end_session_endpoint": "https://login.idporten.no/logout",
                "jwks_uri": "https://idporten.no/jwks.json"}
    assert oidc.endpoint_origins(metadata) == ["https://login.idporten.no"]
    assert oidc.endpoint_origins({"authorization_endpoint": "http://127.0.0.1:8001/o/authorize/"}) == [
        "http://127.0.0.1:8001"]


def test_a_callback_without_its_login_is_a_refusal_page_not_an_error(client, settings):
    settings.OIDC_DISCOVERY_URL = DISCOVERY
    answer = client.get("/accounts/oidc/callback/?code=x&state=forged", HTTP_ACCEPT_LANGUAGE="nb")
    assert answer.status_code == 400
    assert "Innloggingen med ID-porten ble ikke fullført." in answer.content.decode()
    assert "_auth_user_id" not in client.session
