"""The HTTP security headers: a Content-Security-Policy with no inline script on every page, no framing,
no referrer to other sites, no content sniffing; and with DEBUG=0 (a real daphne) HTTPS only, HSTS and
secure cookies, with the TLS-terminating proxy's header trusted only when SECURE_PROXY_SSL_HEADER names it."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.helpers import free_port, production_env, wait_for_port

pytestmark = pytest.mark.engine_independent  # see pyproject.toml

ROOT = Path(__file__).resolve().parent.parent


def policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.parametrize("path", ["/", "/archive/", "/accounts/login/", "/api/bodies/"])
def test_every_page_carries_the_policy_and_the_headers(db, path):
    r = Client().get(path)
    assert r.status_code == 200
    csp = policy(r["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", settings.SITE_URL.replace("http", "ws", 1)]  # SITE_URL's WebSocket origin
    assert csp["media-src"] == ["'self'", "blob:"] and csp["worker-src"] == ["'self'", "blob:"]
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_only_the_apis_own_pages_allow_inline_style_and_none_inline_script(council):
    c = Client()
    c.force_login(council.clerk)
    for path in ("/api/bodies/", "/api/docs/"):
        csp = policy(c.get(path, HTTP_ACCEPT="text/html")["Content-Security-Policy"])
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"] and csp["script-src"] == ["'self'"], path


class Daphne:
    def __init__(self, tmp_path: Path, **extra: str) -> None:
        env = production_env(tmp_path / "db.sqlite3", **extra)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
        self.port = free_port()
        self.log = open(tmp_path / "daphne.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(self.port),
                                      "asgi:application"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)

    def get(self, path: str, **headers: str) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        conn.request("GET", path, headers={"Host": "moter.example.no", **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def production_server(tmp_path):
    server = Daphne(tmp_path)
    yield server
    server.stop()


def test_under_debug_0_it_serves_https_only_with_hsts_and_secure_cookies(production_server):
    plain = production_server.get("/accounts/login/")
    assert plain.status == 301 and plain.getheader("Location") == "https://moter.example.no/accounts/login/"
    assert production_server.get("/healthz").status == 200  # a load balancer's check over plain HTTP

    secure = production_server.get("/accounts/login/", **{"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert secure.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    cookie = secure.getheader("Set-Cookie")
    assert cookie.startswith("csrftoken=") and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "script-src 'self'" in secure.getheader("Content-Security-Policy")
    assert secure.getheader("X-Frame-Options") == "DENY"


def test_without_a_proxy_the_forwarded_proto_header_is_not_trusted(tmp_path):
    server = Daphne(tmp_path, SECURE_PROXY_SSL_HEADER="")
    try:
        forged = server.get("/accounts/login/", **{"X-Forwarded-Proto": "https"})
        assert forged.status == 301 and forged.getheader("Location").startswith("https://")
    finally:
        server.stop()
