"""Every page a person uses runs under the Content-Security-Policy with nothing refused: Chromium reports
each violation as a `securitypolicyviolation` event and a "Refused to ..." console message, and the
test listens for both on the public pages (the live page playing HLS through hls.js), the member room
and the chair console with their WebSockets and WebRTC media, the clerk's pages, the admin and the API's
own pages. The headers that go with it are checked on every page too."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import formannskap_meeting, wait_text

pytestmark = pytest.mark.browser

# Installed before any script of the page runs, in every frame and every page of the context.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
   sample: e.sample}));
"""


class Watched:
    """A browser context whose pages report every CSP violation and every page's security headers."""

    def __init__(self, browser, **options) -> None:
        self.context = browser.new_context(locale="nb-NO", viewport=VIEWPORT, **options)
        self.context.add_init_script(WATCH)
        self.refused: list[str] = []
        self.headers: dict[str, dict[str, str]] = {}
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.refused.append(message.text)

    def _response(self, response) -> None:
        if response.request.resource_type == "document":
            self.headers[response.url] = response.all_headers()

    def visit(self, url: str, *, settle_ms: int = 500):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.page.wait_for_timeout(settle_ms)
        return response

    def violations(self) -> list:
        return self.page.evaluate("window.__csp") + self.refused

    def log_in(self, base: str, username: str) -> None:
        self.visit(f"{base}/accounts/login/", settle_ms=0)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "demo1234")
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")
        assert f"({username})" in self.page.inner_text("header")


def assert_no_violations(watched: Watched, where: str) -> None:
    found = watched.violations()
    assert found == [], (where, found)


def assert_security_headers(watched: Watched) -> None:
    assert watched.headers
    for url, headers in watched.headers.items():
        csp = headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, (url, headers)
        assert "'unsafe-inline'" not in re.sub(r"style-src[^;]*", "", csp) or "/api/docs/" in url, (url, csp)
        assert headers.get("x-content-type-options") == "nosniff", url
        assert headers.get("referrer-policy") == "same-origin", url
        assert headers.get("x-frame-options") == "DENY", url


def test_the_public_pages_run_under_the_policy_with_nothing_refused(browser, live_server_url):
    base = live_server_url
    public = Watched(browser)
    public.visit(base + "/")
    meeting = public.page.eval_on_selector("main a[href^='/meetings/']", "a => a.getAttribute('href')")
    document = public.page.eval_on_selector("main a[href*='/documents/']", "a => a.getAttribute('href')")
    public.visit(base + "/archive/")
    minutes = public.page.eval_on_selector("main a[href$='/minutes/']", "a => a.getAttribute('href')")
    for path in ["/", meeting, document, "/archive/", "/archive/search/?q=vedtas", minutes, "/accounts/login/"]:
        public.visit(base + path)
        assert_no_violations(public, path)
    assert_security_headers(public)
    public.context.close()


def test_the_live_pages_play_media_under_the_policy_with_nothing_refused(browser, live_server_url):
    """The chair opens a meeting and joins with camera and microphone; a member joins; the public page
    plays the live stream through hls.js (Media Source Extensions: a blob: source)."""
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Watched(browser, permissions=["camera", "microphone"])
    chair.log_in(base, "ordforer")
    chair.visit(f"{base}/meetings/{meeting}/room/")
    wait_text(chair.page, "#conn-status", "Tilkoblet")
    chair.page.click("text=Sett møtet")
    chair.page.click("#join-meeting")
    chair.page.click("#join-media")

    member = Watched(browser, permissions=["camera", "microphone"])
    member.log_in(base, "medlem02")
    member.visit(f"{base}/meetings/{meeting}/room/")
    wait_text(member.page, "#conn-status", "Tilkoblet")
    member.page.click("#join-meeting")
    member.page.click("#join-media")

    public = Watched(browser)
    public.visit(f"{base}/meetings/{meeting}/")
    public.page.wait_for_function(
        "() => { const v = document.getElementById('player');"
        " return v.dataset.feed === 'hls' && v.src.startsWith('blob:') && v.currentTime > 0.5; }")
    # Media flows both ways in the room: the chair's own camera, and the members' over WebRTC.
    chair.page.wait_for_function("() => document.getElementById('self-view').srcObject !== null")
    member.page.wait_for_timeout(2000)
    for who, watched in [("chair console", chair), ("member room", member), ("public live page", public)]:
        assert_no_violations(watched, who)
        assert_security_headers(watched)
        watched.context.close()


def test_the_clerk_admin_and_api_pages_run_under_the_policy_with_nothing_refused(browser, live_server_url):
    base = live_server_url
    clerk = Watched(browser)
    clerk.log_in(base, "sekretar")
    clerk.visit(base + "/clerk/")
    meeting = clerk.page.eval_on_selector("main a[href^='/clerk/meetings/']", "a => a.getAttribute('href')")
    for path in ["/clerk/", meeting, "/admin/", "/admin/meetings/meeting/", "/admin/meetings/meeting/add/",
                 "/api/", "/api/meetings/", "/api/docs/"]:
        clerk.visit(base + path, settle_ms=1000)
        assert_no_violations(clerk, path)
    assert clerk.page.locator("#swagger-ui .opblock").count() > 0  # the API docs rendered, scripts ran
    assert_security_headers(clerk)
    clerk.context.close()
