"""Logging in with OpenID Connect (ID-porten-ready), in Chromium, against a real OpenID provider: the
test provider (tests/oidc_provider/, django-oauth-toolkit) runs as its own process on loopback, and two
servers of the platform use it, one authenticating with a client secret and one with private_key_jwt.
Nothing is mocked: discovery, the authorization request, the token endpoint, the ID token's keys, the
provider's logout and its front-channel logout frames are the provider's own."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT, assert_accessible
from tests.helpers import free_port, wait_for_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SUBSTANTIAL = "idporten-loa-substantial"
# The provider's users: a member (medlem20's pid), a member logging in at too low a level (medlem21's
# pid), and somebody the provider knows but the platform does not.
MEMBER = {"username": "kari", "password": "kari-pw-1", "pid": "12345678901", "acr": SUBSTANTIAL}
LOW_LEVEL = {"username": "lav", "password": "lav-pw-1", "pid": "10987654321", "acr": "idporten-loa-low"}
STRANGER = {"username": "ukjent", "password": "ukjent-pw-1", "pid": "55555555555", "acr": SUBSTANTIAL}
LOGIN_IDS = {"medlem20": MEMBER["pid"], "medlem21": LOW_LEVEL["pid"]}
CLIENT_AUTH = ["client_secret_basic", "private_key_jwt"]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_for_discovery(url: str, proc: subprocess.Popen) -> None:
    wait_for_port(int(urlsplit(url).port or 0), proc)
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert json.load(answer)["end_session_endpoint"]


@pytest.fixture(scope="module")
def oidc(live_server_url, live_server_env, tmp_path_factory):
    """The provider, and the platform's two servers (on the seeded database of the live server)."""
    tmp = tmp_path_factory.mktemp("oidc")
    op_port, rp_ports = free_port(), {method: free_port() for method in CLIENT_AUTH}
    rp = {method: f"http://127.0.0.1:{port}" for method, port in rp_ports.items()}
    issuer = f"http://127.0.0.1:{op_port}/o"

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp / "rp-key.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public = jwk.JWK.from_pem(key_file.read_bytes()).export_public(as_dict=True) | {"kid": "rp-key-1", "use": "sig"}

    def client(method: str, **auth: object) -> dict:
        return {"client_id": f"rp-{method}", "redirect_uri": f"{rp[method]}/accounts/oidc/callback/",
                "post_logout_redirect_uri": f"{rp[method]}/",
                "frontchannel_logout_uri": f"{rp[method]}/accounts/oidc/logout/frontchannel/", **auth}

    spec = {"issuer": issuer, "users": [MEMBER, LOW_LEVEL, STRANGER],
            "clients": [client("client_secret_basic", secret="rp-secret-value"),
                        client("private_key_jwt", jwks={"keys": [public]})]}
    (tmp / "spec.json").write_text(json.dumps(spec))
    op_log = open(tmp / "provider.log", "w")
    provider = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(op_port)], cwd=ROOT, stdout=op_log,
        stderr=subprocess.STDOUT, env={**live_server_env, "OP_SPEC": str(tmp / "spec.json"),
                                       "OP_DB": str(tmp / "provider.sqlite3")})
    servers: list[subprocess.Popen] = [provider]
    try:
        _wait_for_discovery(f"{issuer}/.well-known/openid-configuration", provider)
        assignments = "; ".join(f"Person.objects.filter(user__username={u!r}).update(login_id={pid!r})"
                                for u, pid in LOGIN_IDS.items())
        subprocess.run([sys.executable, "manage.py", "shell", "-c",
                        f"from meetings.models import Person; {assignments}"],
                       cwd=ROOT, env=live_server_env, check=True, timeout=120, capture_output=True)
        base_env = {**live_server_env, "OIDC_DISCOVERY_URL": f"{issuer}/.well-known/openid-configuration",
                    "LIVESTREAM_ENABLED": "0", "MEDIA_WORKERS": "0"}
        auth_env = {"client_secret_basic": {"OIDC_CLIENT_SECRET": "rp-secret-value"},
                    "private_key_jwt": {"OIDC_PRIVATE_KEY_FILE": str(key_file), "OIDC_PRIVATE_KEY_ID": "rp-key-1"}}
        for method, port in rp_ports.items():
            log = open(tmp / f"rp-{method}.log", "w")
            server = subprocess.Popen(
                [sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**base_env, "OIDC_CLIENT_ID": f"rp-{method}", **auth_env[method]})
            servers.append(server)
            wait_for_port(port, server)
        yield {"issuer": issuer, "rp": rp}
    finally:
        for server in servers:
            _stop(server)
        op_log.close()


def _page(browser, locale: str = "nb-NO"):
    return browser.new_context(locale=locale, viewport=VIEWPORT).new_page()


def _log_in_at_provider(page, base: str, user: dict, *, next_path: str = "/") -> list[str]:
    """From the platform's login page through the provider's; the authorization requests the browser made."""
    authorizations: list[str] = []
    page.on("request", lambda r: authorizations.append(r.url) if "/o/authorize/" in r.url else None)
    page.goto(f"{base}/accounts/login/?next={next_path}")
    assert_accessible(page, "the login page with the provider's button")
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.wait_for_selector("#id_username")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("button[type=submit]")
    return authorizations


@pytest.mark.parametrize("method", CLIENT_AUTH)
def test_it_logs_a_member_in_through_the_provider(browser, oidc, method):
    base = oidc["rp"][method]
    page = _page(browser)
    authorizations = _log_in_at_provider(page, base, MEMBER, next_path="/archive/")
    page.wait_for_url(f"{base}/archive/")
    assert page.locator("header nav form button").inner_text() == "Logg ut (medlem20)"
    query = parse_qs(urlsplit(authorizations[0]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["acr_values"] == [SUBSTANTIAL]
    assert query["client_id"] == [f"rp-{method}"] and query["ui_locales"] == ["nb"]
    page.context.close()


def test_a_login_below_the_required_level_is_refused(browser, oidc):
    base = oidc["rp"]["client_secret_basic"]
    page = _page(browser)
    _log_in_at_provider(page, base, LOW_LEVEL)
    page.wait_for_url(lambda url: url.startswith(f"{base}/accounts/oidc/callback/?"))
    assert page.locator("h1").inner_text() == "Innlogging avvist"
    assert page.locator("[role=alert]").inner_text() == (
        "Innloggingen med ID-porten var ikke på sikkerhetsnivået denne tjenesten krever.")
    assert_accessible(page, "the refusal page")
    page.goto(f"{base}/")
    assert page.locator("header nav").get_by_role("link", name="Logg inn").is_visible()
    page.context.close()


def test_an_unknown_person_is_refused_in_the_pages_language(browser, oidc):
    base = oidc["rp"]["private_key_jwt"]
    page = _page(browser, locale="nn-NO")
    _log_in_at_provider(page, base, STRANGER)  # the button's name is the same in nynorsk
    page.wait_for_url(lambda url: url.startswith(f"{base}/accounts/oidc/callback/?"))
    assert page.locator("h1").inner_text() == "Innlogging avvist"
    assert page.locator("[role=alert]").inner_text() == (
        "ID-porten har stadfesta kven du er, men du er ikkje registrert her som medlem, varamedlem eller sekretær.")
    page.goto(f"{base}/")
    assert page.locator("header nav").get_by_role("link", name="Logg inn").is_visible()
    page.context.close()


def test_logging_out_ends_the_session_here_and_at_the_provider(browser, oidc):
    base = oidc["rp"]["client_secret_basic"]
    page = _page(browser)
    _log_in_at_provider(page, base, MEMBER)
    page.wait_for_url(f"{base}/")
    ends: list[str] = []
    page.on("request", lambda r: ends.append(r.url) if "/o/logout/" in r.url else None)
    page.click("header nav form button")
    page.wait_for_url(lambda url: url.startswith(f"{base}/?state="))
    assert page.locator("header nav").get_by_role("link", name="Logg inn").is_visible()
    assert parse_qs(urlsplit(ends[0]).query)["id_token_hint"]
    # The provider's session has ended too: logging in again asks for the password.
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.wait_for_selector("#id_username")
    page.context.close()


def test_the_providers_front_channel_logout_ends_the_session(browser, oidc):
    base = oidc["rp"]["private_key_jwt"]
    page = _page(browser)
    _log_in_at_provider(page, base, MEMBER)
    page.wait_for_url(f"{base}/")
    # Logging out at the provider: its page frames every client's front-channel logout URL. The frame's
    # request is found by the provider's session id, not by the session cookie.
    page.goto(oidc["issuer"].removesuffix("/o") + "/logout-everywhere/")
    frame = page.frame_locator("iframe.frontchannel").nth(1)
    expect(frame.locator("body")).to_have_text("Logged out.")
    page.goto(f"{base}/")
    assert page.locator("header nav").get_by_role("link", name="Logg inn").is_visible()
    page.context.close()
