"""Every page and state a visitor, a member or a clerk reaches outside the meeting room and the
chair's console, in bokmål, nynorsk and English: axe finds no serious or critical violation, and the
page fits a 390 px phone without scrolling sideways.

The language comes from the language cookie, as the site's chooser sets it; each page says which
language it is in (`<html lang>`), so a page that ignored the choice would fail here. One browser
context per language and role (visitor, clerk); the meetings in their states are set up once. Each
page also shows legal grounds in words (never a code such as 11-5-3-a) and, in bokmål and nynorsk,
its dates through Django's formats (no English month or day name)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import VIEWPORT, assert_accessible
from tests.browser.helpers import api, formannskap_meeting, join_over_api, token
from tests.browser.test_caption_editor import seed_captions
from tests.browser.test_pages import first_link
from tests.browser.test_public_phases import assert_fits_a_phone

pytestmark = pytest.mark.browser

LANGUAGES = ["nb", "nn", "en"]
RAW_GROUND = re.compile(r"\b11-5-[23]-\w+")  # a closure ground's code (legal.ClosureGround), never shown
ENGLISH_CALENDAR = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|"
                              r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


def _meeting_in_state(base: str, state: str) -> int:
    """A Formannskapet meeting (over the API) that is live with a speaker, behind closed doors, or ended."""
    meeting = formannskap_meeting(base)
    chair = token(base, "ordforer")

    def chair_does(command: str, **payload):
        return api(base, f"/api/meetings/{meeting}/actions/{command}/", payload, chair)["result"]

    chair_does("meeting.open")
    items = api(base, f"/api/meetings/{meeting}/items/", token=token(base, "sekretar"))
    chair_does("item.open", item_id=items[0]["id"])
    if state == "live":
        speaker = token(base, "medlem02")
        person, _name = join_over_api(base, meeting, speaker)
        api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, speaker)
        chair_does("floor.grant", person_id=int(person))
    elif state == "closed":
        chair_does("member.join")
        chair_id = api(base, f"/api/meetings/{meeting}/state/", token=chair)["state"]["meeting"]["chair"]
        voters = [token(base, u) for u in ("medlem02", "medlem03", "medlem04")]
        for pid in [chair_id] + [join_over_api(base, meeting, t)[0] for t in voters]:
            chair_does("member.in_room", person_id=int(pid), in_room=True)
        chair_does("doors.motion", ground="11-5-3-a")
        closure = chair_does("vote.open", kind="closure")
        for voter in [chair, *voters]:
            api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": closure, "choice": "for"}, voter)
        chair_does("vote.close", vote=closure)
    elif state == "ended":
        chair_does("meeting.end")
    return meeting


@pytest.fixture(scope="module")
def paths(live_server_url, live_server_env, browser) -> dict[str, str]:
    """Each page's path: the seeded council's pages, and one meeting in each of the public page's states."""
    base = live_server_url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(base + "/")
    upcoming = first_link(page, r"/meetings/\d+/")
    page.goto(base + upcoming)
    document = first_link(page, r"/meetings/\d+/documents/\d+/")
    page.goto(base + "/archive/")
    minutes = first_link(page, r"/meetings/\d+/minutes/")
    page.context.close()
    found = {
        "home": "/", "archive": "/archive/", "login": "/accounts/login/",
        "meeting-before": upcoming, "document": document, "minutes": minutes,
        "meeting-ended-archived": minutes.removesuffix("minutes/"),
        "clerk": "/clerk/", "clerk-meeting": f"/clerk{upcoming}",
        "search": "/archive/search/?q=vedtas",  # the seeded meeting's published decisions
    }
    for state in ("live", "closed", "ended"):
        found[f"meeting-{state}"] = f"/meetings/{_meeting_in_state(base, state)}/"
    ended = int(found["meeting-ended"].split("/")[2])
    seed_captions(live_server_env, ended)  # the caption editor with its speeches, forms and histories
    found["clerk-captions"] = f"/clerk/meetings/{ended}/captions/"
    return found


@pytest.fixture(scope="module")
def contexts(browser, live_server_url):
    """A visitor's and a clerk's browser context per language, made when first asked for."""
    made: dict[tuple[str, str], object] = {}

    def get(language: str, role: str):
        if (language, role) not in made:
            context = browser.new_context(viewport=VIEWPORT)
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server_url}])
            if role == "clerk":
                page = context.new_page()
                page.goto(f"{live_server_url}/accounts/login/")
                page.fill("#id_username", "sekretar")
                page.fill("#id_password", "demo1234")
                page.click("main form button[type=submit]")
                page.wait_for_url(lambda url: "/accounts/login/" not in url)
                page.close()
            made[(language, role)] = context
        return made[(language, role)]

    yield get
    for context in made.values():
        context.close()


# The site's own 404 page is not among them: the test server runs with DEBUG, which answers a missing
# page with Django's technical page instead (tests/frontend/test_languages.py renders the site's).
PAGES = ["home", "archive", "search", "login", "document", "minutes", "meeting-before", "meeting-live",
         "meeting-closed", "meeting-ended", "meeting-ended-archived", "clerk", "clerk-meeting",
         "clerk-captions"]
# What each page shows once it has settled (its scripts have loaded the state they render).
SETTLED = {
    "meeting-before": "#poster:not([hidden])",
    "meeting-live": "#speaker-overlay:not([hidden])",
    "meeting-closed": "#closed-notice:not([hidden])",
    "meeting-ended": "#no-recording:not([hidden])",
    "meeting-ended-archived": "#no-recording:not([hidden])",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_accessible_fits_a_phone_and_speaks_its_language(contexts, paths, live_server_url, language,
                                                                        name):
    page = contexts(language, "clerk" if name.startswith("clerk") else "visitor").new_page()
    try:
        page.set_viewport_size(VIEWPORT)
        response = page.goto(live_server_url + paths[name])
        assert response.status == 200, (name, response.status)
        if name in SETTLED:
            page.wait_for_selector(SETTLED[name], state="visible")
        if name == "search":
            assert page.locator("li.search-hit mark").count() > 0, "the search page has no hits to check"
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.lang") == language, name
        text = page.inner_text("body")
        assert not RAW_GROUND.search(text), (name, RAW_GROUND.findall(text))  # legal grounds in words
        if language != "en":  # dates through Django's formats: no English month or day in a Norwegian page
            assert not ENGLISH_CALENDAR.search(text), (name, ENGLISH_CALENDAR.findall(text))
        assert_accessible(page, f"{name} ({language})")
        assert_fits_a_phone(page, f"{name} ({language})")
        assert_accessible(page, f"{name} ({language}) on a phone")
    finally:
        page.close()
