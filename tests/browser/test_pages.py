"""The pages a person uses, in a real headless Chromium against a real daphne server."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import VIEWPORT, assert_accessible
from tests.browser.helpers import api, token

pytestmark = pytest.mark.browser


def first_link(page, pattern: str) -> str:
    """The first link on the page whose href matches `pattern` (ids come from the seeded data)."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = next((h for h in hrefs if re.fullmatch(pattern, h)), None)
    assert found, f"no link like {pattern} among {hrefs}"
    return found


def test_it_renders_the_public_pages_accessibly(browser, live_server_url, screenshot):
    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    page.goto(live_server_url + "/")
    meeting = first_link(page, r"/meetings/\d+/")
    page.goto(live_server_url + "/archive/")
    minutes = first_link(page, r"/meetings/\d+/minutes/")
    for path, name in [("/", "home"), (meeting, "meeting-public"), ("/archive/", "archive"), (minutes, "minutes"),
                       ("/accounts/login/", "login")]:
        response = page.goto(live_server_url + path)
        assert response.status == 200, path
        page.wait_for_timeout(300)
        screenshot(page, name)
        assert_accessible(page, path)
    page.goto(live_server_url + "/")
    assert "Kommende møter" in page.inner_text("h1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Hopp til innholdet"
    page.context.close()


def test_it_shows_the_notice_and_public_documents_on_the_front_page(browser, live_server_url):
    page = browser.new_context(locale="nb-NO").new_page()
    page.goto(live_server_url + "/")
    main = page.inner_text("main")
    assert "Kommunestyret innkalles til fjernmøte" in main  # the seeded notice text
    assert "Planbeskrivelse" in main and "Politiattest" not in main  # public document, not the exempt one
    page.click("text=Planbeskrivelse")
    assert page.inner_text("h1") == "Planbeskrivelse"
    page.context.close()


def test_it_refuses_an_exempt_or_unknown_document(browser, live_server_url):
    page = browser.new_context().new_page()
    page.goto(live_server_url + "/")
    meeting = first_link(page, r"/meetings/\d+/")
    meeting_id = int(meeting.strip("/").split("/")[-1])
    # The clerk's view of the agenda names the exempt document's id; the public page must not serve it.
    items = api(live_server_url, f"/api/meetings/{meeting_id}/items/", token=token(live_server_url, "sekretar"))
    exempt = next(d for i in items for d in i["documents"] if d["exemption_basis"])
    public = next(d for i in items for d in i["documents"] if not d["exemption_basis"] and d["public"])
    assert page.goto(f"{live_server_url}{meeting}documents/{exempt['id']}/").status == 404
    assert page.goto(f"{live_server_url}{meeting}documents/999999/").status == 404
    assert page.goto(f"{live_server_url}{meeting}documents/{public['id']}/").status == 200
    assert "(unntatt)" not in page.inner_text("main")
    page.context.close()


def test_it_switches_the_language_to_english(browser, live_server_url):
    page = browser.new_context().new_page()
    page.goto(live_server_url + "/")
    page.select_option("#language", "en")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Upcoming meetings"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.context.close()
