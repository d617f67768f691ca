"""The login page under daphne, in Chromium: wrong passwords are refused in the page's language, the
fifth in a row locks the username out from this address (429, a page that says for how long), the
right password does not get through the lock, and a successful login before the limit resets the count.

Each test locks out a demo login that no other browser test uses (the lock outlives the test)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORT

pytestmark = pytest.mark.browser


def submit(page, base: str, username: str, password: str) -> int:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as navigation:
        page.click("main form button[type=submit]")
    return navigation.value.status


def test_it_locks_out_after_five_wrong_passwords_and_a_success_resets(browser, live_server_url):
    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    for _ in range(4):
        assert submit(page, live_server_url, "medlem21", "gjett") == 200
        assert page.inner_text("main .error") == "Feil brukernavn eller passord."
    assert submit(page, live_server_url, "medlem21", "demo1234") == 200
    assert "Logg ut (medlem21)" in page.inner_text("header")
    page.click("header form button[type=submit]")  # log out
    page.wait_for_load_state()

    statuses = [submit(page, live_server_url, "medlem21", "gjett") for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert page.inner_text("main [role=alert]") == "For mange mislykkede innlogginger. Prøv igjen om 15 minutter."
    assert submit(page, live_server_url, "medlem21", "demo1234") == 429
    assert "Logg ut" not in page.inner_text("header")
    page.context.close()


def test_the_lockout_page_is_in_english_for_an_english_browser(browser, live_server_url):
    page = browser.new_context(locale="en-GB", viewport=VIEWPORT).new_page()
    statuses = [submit(page, live_server_url, "medlem22", "guess") for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert page.inner_text("main [role=alert]") == "Too many failed logins. Try again in 15 minutes."
    assert page.evaluate("document.documentElement.lang") == "en"
    page.context.close()
