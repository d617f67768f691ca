"""The pages a person uses, in a real headless Chromium against a real daphne server."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_public_pages_render_and_pass_the_accessibility_scan(browser, live_server_url, screenshot):
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    for path, name in [("/", "home"), ("/meetings/1/", "meeting-public"), ("/archive/", "archive"),
                       ("/meetings/2/minutes/", "minutes")]:
        response = page.goto(live_server_url + path)
        assert response.status == 200, path
        page.wait_for_timeout(300)
        screenshot(page, name)
        serious = axe_violations(page)
        assert serious == [], (path, [(v["id"], v["help"]) for v in serious])
    page.goto(live_server_url + "/")
    assert "Kommende møter" in page.inner_text("h1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Hopp til innholdet"
    context.close()


def test_language_switch_to_english(browser, live_server_url):
    page = browser.new_context().new_page()
    page.goto(live_server_url + "/")
    page.select_option("#language", "en")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Upcoming meetings"
    assert page.evaluate("document.documentElement.lang") == "en"
