"""The public meeting page in its phases (a poster before the meeting, the speaker over the picture
while live, the closed-doors notice and slate, the ended panel with the recording's nested chapters
or words saying there is none), and every public page on a phone, in a real headless Chromium
against a real daphne server."""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORT, assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text
from tests.browser.test_pages import first_link

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCROLL_WIDTH = "document.documentElement.scrollWidth"


def assert_fits_a_phone(page, where: str) -> None:
    """At 390 px nothing makes the page scroll sideways; the offenders are named if something does."""
    page.set_viewport_size(PHONE)
    width = page.evaluate(SCROLL_WIDTH)
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 390 && !e.closest('.table-wrap'))
        .map((e) => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')).slice(0, 8)""")
    assert width <= PHONE["width"], (where, width, wide)


def visible(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}:not([hidden])", state="visible")


def test_it_shows_the_poster_the_speaker_and_the_end(browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair, clerk, member = token(base, "ordforer"), token(base, "sekretar"), token(base, "medlem02")

    def chair_does(command: str, **payload):
        return api(base, f"/api/meetings/{meeting}/actions/{command}/", payload, chair)

    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    page.goto(f"{base}/meetings/{meeting}/")

    # Before: the poster where the picture will be, in the page's language (Django's month names).
    visible(page, "#poster")
    poster = page.inner_text("#poster")
    assert "Starter mandag 23. november 2026 kl. 18.00" in poster, poster
    assert "tidligst kl. 18.00" in poster and "FS 2/26 Havneplan" in poster, poster
    assert page.locator("#screen").is_hidden() and page.locator("#ended-panel").is_hidden()
    screenshot(page, "public-poster", full_page=False)
    assert_accessible(page, "public page, before the meeting")
    assert_fits_a_phone(page, "public page, before the meeting")
    page.set_viewport_size(VIEWPORT)

    # Live: the speaker's name and party over the picture. The media worker follows a meeting (and
    # streams it) once a participant has connected: the chair's console is open.
    enter_rooms(base, meeting, [login(browser, base, "ordforer")])
    chair_does("meeting.open")
    visible(page, "#screen")
    page.wait_for_selector("#poster", state="hidden")
    person, name = join_over_api(base, meeting, member)
    items = api(base, f"/api/meetings/{meeting}/items/", token=clerk)
    item = next(i for i in items if i["case_number"] == "FS 2/26")
    chair_does("item.open", item_id=item["id"])
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, member)
    chair_does("floor.grant", person_id=int(person))
    visible(page, "#speaker-overlay")
    wait_text(page, "#speaker-overlay", name)
    assert page.inner_text("#speaker-overlay .party") == "Ap"  # medlem02 sits for Arbeiderpartiet
    assert page.inner_text("#speaker") == f"{name} (Ap)"
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.5")  # the picture plays
    screenshot(page, "public-live", full_page=False)
    assert_accessible(page, "public page, live, a speaker on the floor")
    assert_fits_a_phone(page, "public page, live")
    page.set_viewport_size(VIEWPORT)

    # Closed doors (§ 11-5): the slate's words in place of the speaker, the ground in words (never its
    # code), and a speech behind the doors that the public page never names.
    chair_does("floor.end")
    page.wait_for_selector("#speaker-overlay", state="hidden")
    chair_does("member.join")
    third = token(base, "medlem04")
    chair_id = api(base, f"/api/meetings/{meeting}/state/", token=chair)["state"]["meeting"]["chair"]
    third_person, third_name = join_over_api(base, meeting, third)
    second = token(base, "medlem03")
    second_person, second_name = join_over_api(base, meeting, second)
    for pid in (chair_id, person, second_person, third_person):  # seated in the room: seen and heard (§ 11-7 (2))
        chair_does("member.in_room", person_id=int(pid), in_room=True)
    chair_does("doors.motion", ground="11-5-3-a")
    closure = chair_does("vote.open", kind="closure")["result"]
    for voter in (chair, member, second, third):
        api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": closure, "choice": "for"}, voter)
    chair_does("vote.close", vote=closure)
    visible(page, "#closed-notice")
    notice = page.inner_text("#closed-notice")
    assert "§ 11-5" in notice and "personvern" in notice and "11-5-3-a" not in notice, notice
    wait_text(page, "#captions", "Lukket møte")
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, third)
    chair_does("floor.grant", person_id=int(third_person))
    page.wait_for_function("() => window.councilPublic.folded.state.doors.notice")
    assert page.locator("#speaker-overlay").is_hidden() and third_name not in page.inner_text("main")
    page.wait_for_function("""() => { const v = document.getElementById('player');
        return v.dataset.feed && !v.paused; }""")  # the stream goes on: the slate, not a black hole
    screenshot(page, "public-closed-doors", full_page=False)
    assert_accessible(page, "public page, closed doors")
    chair_does("floor.end")
    chair_does("doors.open")
    page.wait_for_selector("#closed-notice", state="hidden")

    # A second speech on the same item, then the end: the page follows without a reload.
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, second)
    chair_does("floor.grant", person_id=int(second_person))
    wait_text(page, "#speaker-overlay", second_name)
    chair_does("meeting.end")
    visible(page, "#ended-panel")
    assert "Møtet er slutt." in page.inner_text("#ended-panel")
    assert page.get_attribute("#ended-panel a", "href") == f"/meetings/{meeting}/minutes/"
    assert page.locator("#now-live").is_hidden() and page.locator("#speaker-overlay").is_hidden()

    # Loaded afresh after the end: the recording, its chapters an item each with its speeches under it.
    page.goto(f"{base}/meetings/{meeting}/")
    visible(page, "#ended-panel")
    speeches = "li.chapter-item ol.speeches li.chapter-speech button"
    page.wait_for_selector(f"#chapters:not([hidden]) {speeches}")
    item_chapter = page.locator("#chapters li.chapter-item", has_text="FS 2/26")
    assert [t.split(" ", 1)[1] for t in item_chapter.locator("li.chapter-speech button").all_inner_texts()] == [
        name, second_name]
    assert page.locator("#no-recording").is_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "public-ended")
    assert_accessible(page, "public page, ended, with the recording")
    assert_fits_a_phone(page, "public page, ended, with the recording")
    page.context.close()


def test_it_says_there_is_no_recording_and_stops_asking(browser, live_server_url, screenshot):
    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    page.goto(live_server_url + "/archive/")
    # The seeded past meeting was never streamed: its row links the minutes and no recording.
    minutes = page.evaluate("""() => [...document.querySelectorAll('main tbody tr')]
        .filter((tr) => !tr.querySelector('a[href$="recording.m3u8"]'))
        .map((tr) => tr.querySelector('a[href$="/minutes/"]')?.getAttribute('href')).find(Boolean)""")
    assert minutes, page.inner_text("main")
    meeting = minutes.removesuffix("minutes/")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "recording.m3u8" in r.url else None)
    page.goto(live_server_url + meeting)
    visible(page, "#no-recording")
    visible(page, "#ended-panel")
    assert page.inner_text("#no-recording") == "Det finnes ikke noe opptak av dette møtet."
    assert page.get_attribute("#ended-panel a", "href") == minutes
    assert page.locator("#screen").is_hidden()
    # The page has loaded its state (the socket's first document); from then on, over a few seconds
    # (longer than the player's 2 s retry), nothing asks for a recording.
    page.wait_for_function("() => window.councilPublic?.folded?.state != null")
    page.wait_for_timeout(5000)
    assert asked == [], asked
    screenshot(page, "public-ended-no-recording", full_page=False)
    assert_accessible(page, "public page, ended, no recording")
    page.context.close()


def test_it_gives_up_on_a_recording_that_never_came(browser, live_server_url):
    """Watched from the poster to the end of a meeting that was never streamed (no participant
    connected, so the media worker never followed it): the page asks for the recording a bounded
    number of times, then says there is none and asks no more."""
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = token(base, "ordforer")
    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "recording.m3u8" in r.url else None)
    page.goto(f"{base}/meetings/{meeting}/")
    visible(page, "#poster")
    api(base, f"/api/meetings/{meeting}/actions/meeting.open/", {}, chair)
    visible(page, "#screen")
    api(base, f"/api/meetings/{meeting}/actions/meeting.end/", {}, chair)
    visible(page, "#ended-panel")
    visible(page, "#no-recording")
    assert page.locator("#screen").is_hidden()
    given_up = len(asked)
    assert 1 <= given_up <= 5, asked
    page.wait_for_timeout(5000)  # more than two of the player's 2 s retries
    assert len(asked) == given_up, asked
    assert_accessible(page, "public page, ended in view, no recording")
    page.context.close()


def test_every_public_page_fits_a_phone(browser, live_server_url):
    base = live_server_url
    page = browser.new_context(locale="nb-NO", viewport=PHONE).new_page()
    page.goto(base + "/")
    upcoming = first_link(page, r"/meetings/\d+/")
    page.goto(base + upcoming)
    document = first_link(page, r"/meetings/\d+/documents/\d+/")
    page.goto(base + "/archive/")
    minutes = first_link(page, r"/meetings/\d+/minutes/")
    for path in ["/", "/archive/", upcoming, document, minutes, minutes.removesuffix("minutes/"), "/accounts/login/"]:
        assert page.goto(base + path).status == 200, path
        page.wait_for_load_state("load")
        assert_fits_a_phone(page, path)
    page.goto(base + "/archive/")
    assert_accessible(page, "archive on a phone")
    page.goto(base + minutes)
    assert_accessible(page, "minutes on a phone")
    page.context.close()
