"""A member's meeting with the keyboard alone (issue 13): in the room only Tab, Enter and Space, no
click; the member joins through the pre-join screen, asks for the floor, votes and leaves, and every
control reached shows where the focus is. The chair acts over the REST API."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text
from tests.browser.test_member_meeting import Chair, wait_state

pytestmark = pytest.mark.browser

FOCUSED = """(selector) => { const e = document.activeElement;
  return Boolean(e && e.matches(selector)); }"""
# The focus is seen: the focused control draws an outline (room.css `:focus-visible`).
FOCUS_VISIBLE = """() => { const e = document.activeElement;
  return e.matches(':focus-visible') && getComputedStyle(e).outlineStyle !== 'none'; }"""


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector` (a disabled control is never reached)."""
    for _ in range(limit):
        if page.evaluate(FOCUSED, selector):
            assert page.evaluate(FOCUS_VISIBLE), f"the focus on {selector} is not visible"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}; the focus is on "
                         f"{page.evaluate('document.activeElement.outerHTML.slice(0, 120)')}")


def test_a_member_joins_asks_for_the_floor_votes_and_leaves_with_the_keyboard(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Chair(base, meeting)
    member = login(browser, base, "medlem07")
    enter_rooms(base, meeting, [member])
    chair.does("meeting.open")
    wait_state(member, "s.allowed.includes('member.join')")
    member.wait_for_selector('#check-status[data-state="ok"]')

    tab_to(member, "#join-media")
    member.keyboard.press("Enter")
    wait_state(member, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
    expect(member.locator("#prejoin")).to_be_hidden()

    other = token(base, "medlem04")  # another member, on another client
    other_id, _ = join_over_api(base, meeting, other)
    chair.does("member.in_room", person_id=int(other_id), in_room=True)
    chair.does("item.open", item_id=chair.items()[0]["id"])
    wait_state(member, "s.allowed.includes('floor.request')")
    tab_to(member, "#req-floor")
    member.keyboard.press("Space")
    wait_text(member, "#queue-pos", "Du er nummer 1 på talelisten.")

    # A vote opens: the ballot takes the focus, the choices are the next stops.
    chair.does("vote.open")
    member.wait_for_function(FOCUSED, arg="#vote-h")
    tab_to(member, "#vote button.option")
    assert member.evaluate("document.activeElement.textContent") == "For"
    # Another member's ballot updates the tally and leaves the focus where it is.
    vote = member.evaluate("Number(councilRoom.folded.state.open_vote)")
    api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": vote, "choice": "against"}, other)
    wait_text(member, "#vote .ballot-tally", "1 av 2 har stemt")
    assert member.evaluate(FOCUSED, "#vote button.option")
    member.keyboard.press("Enter")
    wait_text(member, "#vote .my-choice", "Du stemte: For")

    tab_to(member, "#leave")
    member.keyboard.press("Enter")
    expect(member.locator("#left")).to_be_visible()
    wait_state(member, "!s.attendance[me].present")
    assert member.evaluate("() => councilRoom.media.pc === null && councilRoom.media.stream === null")
    assert member.evaluate(FOCUSED, "#left-h")
    member.context.close()
