"""The chair runs a whole meeting from the console, in Chromium against a real server: roll call, an
item, the floor with its timer and the speakers list reordered by pointer and keyboard, a vote with a
quorum warning, the doors as one flow of four steps, and the end with the minutes published. At each
step every console control is checked against the server's allowed actions (`state.allowed`).
Then a vote run with the keyboard alone, and the console in bokmål, nynorsk and English through axe
and on a 390 px screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text
from tests.browser.test_allowed_actions import check_buttons, wait_state
from tests.browser.test_public_phases import assert_fits_a_phone

pytestmark = pytest.mark.browser

# The console's controls drawn per state (roll call cells, speakers, the doors flow's vote buttons)
# against the state the page holds: none is enabled for a command the server does not allow now, and
# each is enabled where the server allows it and the fact it stands for is there.
CONTROLS_MATCH_ALLOWED = """() => {
  const s = window.councilRoom?.folded?.state;
  if (!s || !Array.isArray(s.allowed)) return false;
  const allows = (c) => s.allowed.includes(c);
  const all = (sel, ok) => [...document.querySelectorAll(sel)].every(ok);
  const openVote = s.open_vote && s.votes[s.open_vote];
  const closureVote = document.getElementById('closure-vote');
  const closureClose = document.getElementById('closure-close');
  return all('#roll-call button.mark-present', (b) => b.disabled || allows('roll_call'))
    && all('#roll-call button.mark-absent', (b) => b.disabled || allows('absence.register'))
    && all('#roll-call button.in-room', (b) => b.disabled || allows('member.in_room'))
    && all('#roll-call button.summon', (b) => b.disabled === !allows('deputy.summon'))
    && all('#chair-speakers button.give', (b) => b.disabled === !allows('floor.grant'))
    && all('#chair-speakers button.remove', (b) => b.disabled === !allows('floor.withdraw'))
    && all('#chair-speakers button.up, #chair-speakers button.down', (b) => b.disabled || allows('speakers.reorder'))
    && closureVote.disabled === !(allows('vote.open') && s.closure_motion && !openVote)
    && closureClose.disabled === !(allows('vote.close') && openVote?.kind === 'closure');
}"""


def check_console(page) -> set[str]:
    """Every console control against the server's allowed actions; the allowed set, for asserts."""
    now = check_buttons(page)
    page.wait_for_function(CONTROLS_MATCH_ALLOWED)
    return now


def speakers(page) -> list[str]:
    return page.evaluate("() => councilRoom.folded.state.speakers.map(s => s.name)")


def confirm_quorum_warning(page, text: str) -> None:
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("For få til stede til at møtet er vedtaksført")
    expect(dialog).to_contain_text(text)
    page.click("#confirm-ok")
    expect(dialog).to_have_count(0)


def cast_over_api(base: str, meeting: int, tokens: list[str], choice: str = "for") -> None:
    vote = api(base, f"/api/meetings/{meeting}/state/", token=tokens[0])["state"]["open_vote"]
    for t in tokens:
        api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": int(vote), "choice": choice}, t)


def test_the_chair_runs_a_meeting_from_the_console(browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    member = login(browser, base, "medlem02")
    enter_rooms(base, meeting, (chair, member))
    chair_token = token(base, "ordforer")
    cmd = lambda command: chair.locator(f"#chair button[data-cmd='{command}']")  # noqa: E731
    reasons = chair.evaluate("JSON.parse(document.getElementById('reasons-data').textContent)")

    # Before the meeting opens: only opening and the roll call.
    wait_state(chair, "s.allowed.includes('meeting.open')")
    now = check_console(chair)
    assert "meeting.open" in now and not now & {"item.open", "vote.open", "doors.motion", "meeting.end"}
    cmd("meeting.open").click()
    wait_state(chair, "s.meeting.state === 'in_session'")
    check_console(chair)

    # Roll call: a grid of one cell per seated member, with name, party, status and the server's
    # see-and-hear fact in its own words. One is registered absent with a reason.
    cells = chair.locator("#roll-call li.roll-cell")
    expect(cells).to_have_count(7)
    absent = cells.nth(6)
    absent_id = absent.get_attribute("data-person")
    expect(absent.locator(".party")).to_have_text(re.compile(r"\(\w+\)"))
    chair.fill("#absent-reason", "Sykdom")
    absent.locator("button.mark-absent").click()
    expect(absent.locator(".status")).to_contain_text("forfall: Sykdom")
    wait_state(chair, f"s.presence['{absent_id}']?.reason === 'absent'")
    expect(absent.locator(".presence")).to_have_text(reasons["absent"])
    check_console(chair)
    # Formannskapet has no deputies of its own: the cell offers to summon one, disabled as the server says.
    expect(absent.locator("button.summon")).to_be_disabled()
    assert "deputy.summon" not in check_console(chair)

    # The chair and one member join in their browsers; two more over the API. All four sit in the
    # room (counted without media, a hybrid meeting), so the server says they see and hear.
    chair.click("#join-meeting")
    member.click("#join-meeting")
    chair_id = chair.evaluate("document.getElementById('room').dataset.person")
    member_id = member.evaluate("document.getElementById('room').dataset.person")
    third_token, fourth_token = token(base, "medlem03"), token(base, "medlem04")
    third_id, _ = join_over_api(base, meeting, third_token)
    for pid in (chair_id, member_id):
        chair.locator(f"#roll-call li[data-person='{pid}'] button.in-room").click()
        wait_state(chair, f"s.presence['{pid}']?.sees_and_hears")
    api(base, f"/api/meetings/{meeting}/actions/member.in_room/", {"person_id": int(third_id), "in_room": True},
        chair_token)
    wait_state(chair, "s.quorum.present === 3")
    chair_cell = chair.locator(f"#roll-call li[data-person='{chair_id}']")
    expect(chair_cell.locator(".status")).to_have_text("til stede")
    expect(chair_cell.locator(".presence")).to_have_text("ser og hører")
    check_console(chair)

    # An item.
    chair.select_option("#item-select", index=0)
    chair.click("#open-item")
    wait_state(chair, "s.current_item")
    now = check_console(chair)
    assert {"item.close", "vote.open", "doors.motion"} <= now

    # The floor: two ask for it; the chair drags the second above the first, then moves it back
    # with the keyboard (Alt+Down on the entry), and gives the floor; the timer runs from the log.
    member.click("#req-floor")
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {"kind": "speech"}, third_token)
    wait_state(chair, "s.speakers.length === 2")
    first, second = speakers(chair)
    check_console(chair)
    entries = chair.locator("#chair-speakers li")
    entries.nth(1).drag_to(entries.nth(0))
    wait_state(chair, f"s.speakers[0].name === {second!r}")
    expect(entries.nth(0).locator(".speaker-name")).to_have_text(second)
    entries.nth(0).focus()
    chair.keyboard.press("Alt+ArrowDown")
    wait_state(chair, f"s.speakers[0].name === {first!r}")
    wait_text(member, "#speakers li:first-child", first)  # the member room shows the server's order too
    entries.nth(0).locator("button.give").click()
    wait_state(chair, "s.floor")
    expect(chair.locator("#chair-speaker")).to_have_text(first)
    timer = chair.locator("#chair-timer")
    expect(timer).to_have_text(re.compile(r"^\d+:\d\d$"))
    shown = timer.inner_text()
    expect(timer).not_to_have_text(shown)  # it runs
    now = check_console(chair)
    assert "floor.end" in now
    cmd("floor.end").click()
    wait_state(chair, "!s.floor")
    expect(timer).to_have_text("")

    # A vote with three of the seven present: the quorum line warns, and so does the console before
    # the vote opens and before it closes (§ 11-9 (1)); the chair goes on.
    quorum_line = chair.locator("#chair-quorum")
    expect(quorum_line).to_contain_text("3 til stede som ser og hører, 4 kreves")
    expect(quorum_line).to_have_class(re.compile("warning"))
    chair.click("#open-vote")
    confirm_quorum_warning(chair, "3 til stede som ser og hører, 4 kreves")
    wait_state(chair, "s.open_vote")
    now = check_console(chair)
    assert {"vote.close", "vote.cast"} <= now and not now & {"vote.open", "item.close", "meeting.end"}
    chair.click("#vote button.option:has-text('For')")
    member.click("#vote button.option:has-text('For')")
    chair.click("#close-vote")
    confirm_quorum_warning(chair, "4 kreves")
    wait_state(chair, "!s.open_vote")
    check_console(chair)

    # A fourth member in the room: a quorum, and no more warning.
    fourth_id, _ = join_over_api(base, meeting, fourth_token)
    api(base, f"/api/meetings/{meeting}/actions/member.in_room/", {"person_id": int(fourth_id), "in_room": True},
        chair_token)
    wait_state(chair, "s.quorum.met")
    expect(quorum_line).not_to_have_class(re.compile("warning"))

    # The doors: one flow of four steps, the step the meeting is at marked, the ground in words.
    doors = chair.locator(".doors-flow")
    expect(doors.locator("li[aria-current='step']")).to_have_id("doors-step-ground")
    now = check_console(chair)
    assert "vote.open" in now
    expect(chair.locator("#closure-vote")).to_be_disabled()  # no motion yet to vote on
    expect(cmd("doors.open")).to_be_disabled()
    ground = chair.locator("#ground option").first.inner_text()
    chair.select_option("#ground", index=0)
    chair.click("#doors-motion")
    wait_state(chair, "s.closure_motion")
    expect(doors.locator("li[aria-current='step']")).to_have_id("doors-step-decision")
    expect(chair.locator("#doors-motion-text")).to_contain_text(ground)
    assert "11-5-3" not in chair.inner_text("#doors-motion-text")  # words, not the code
    check_console(chair)
    assert_accessible(chair, "the doors flow at the decision step")
    chair.click("#closure-vote")
    wait_state(chair, "s.open_vote && s.votes[s.open_vote].kind === 'closure'")
    check_console(chair)
    expect(chair.locator("#closure-close")).to_be_enabled()
    chair.click("#vote button.option:has-text('For')")
    member.click("#vote button.option:has-text('For')")
    cast_over_api(base, meeting, [third_token, fourth_token])
    chair.click("#closure-close")
    wait_state(chair, "s.doors.closed && !s.doors.debate_only")
    expect(doors.locator("li[aria-current='step']")).to_have_id("doors-step-reopen")
    expect(chair.locator("#doors-step-closed")).to_have_class(re.compile("done"))
    expect(chair.locator("#doors-status")).to_contain_text(ground)
    now = check_console(chair)
    assert "doors.open" in now and "doors.motion" not in now
    screenshot(chair, "chair-console-doors-closed", full_page=False)
    cmd("doors.open").click()
    wait_state(chair, "!s.doors.closed")
    expect(doors.locator("li[aria-current='step']")).to_have_id("doors-step-ground")
    expect(chair.locator("#doors-status")).to_have_text("Møtet er åpent.")
    check_console(chair)

    # The end: the console says the meeting ended and the minutes are published, with the link,
    # and every one of its controls is disabled.
    chair.click("#close-item")
    wait_state(chair, "!s.current_item")
    check_console(chair)
    cmd("meeting.end").click()
    wait_state(chair, "s.meeting.state === 'ended' && s.minutes.published")
    ended = chair.locator("#chair-ended")
    expect(ended).to_be_visible()
    expect(chair.locator("#chair-ended-text")).to_have_text("Møtet er slutt — møteboka er publisert")
    link = chair.locator("#chair-minutes-link")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == f"/meetings/{meeting}/minutes/"
    check_console(chair)
    assert chair.evaluate("() => [...document.querySelectorAll('#chair .chair-panels button')]"
                          ".every(b => b.matches(':disabled'))")
    assert_accessible(chair, "the console after the end")
    screenshot(chair, "chair-console-ended", full_page=False)
    link.click()
    chair.wait_for_load_state()
    assert chair.url.endswith(f"/meetings/{meeting}/minutes/")
    for page in (chair, member):
        page.context.close()


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until `selector` has the focus, and check the focus is visible there."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), (selector, outline)
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_chair_runs_a_vote_with_the_keyboard_alone(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    enter_rooms(base, meeting, (chair,))
    chair_token = token(base, "ordforer")
    # Set up over the API: the meeting open, four members present in the room (a quorum), an item open.
    api(base, f"/api/meetings/{meeting}/actions/meeting.open/", {}, chair_token)
    for username in ("ordforer", "medlem02", "medlem03", "medlem04"):
        pid, _ = join_over_api(base, meeting, token(base, username))
        api(base, f"/api/meetings/{meeting}/actions/member.in_room/", {"person_id": int(pid), "in_room": True},
            chair_token)
    wait_state(chair, "s.quorum.met")
    item = chair.evaluate("() => Object.keys(councilRoom.folded.state.items)[0] || null") or \
        chair.locator("#item-select option").first.get_attribute("value")
    api(base, f"/api/meetings/{meeting}/actions/item.open/", {"item_id": int(item)}, chair_token)
    wait_state(chair, "s.current_item && s.allowed.includes('vote.open')")
    check_console(chair)

    # Keyboard only: Tab to "Open the vote", Enter; Tab to the ballot's "For", Space; Tab to
    # "Close the vote and announce", Enter.
    chair.locator("body").focus()
    tab_to(chair, "#open-vote")
    chair.keyboard.press("Enter")
    wait_state(chair, "s.open_vote")
    check_console(chair)
    tab_to(chair, "#vote button.option:not(:disabled)")
    while "For" not in chair.evaluate("() => document.activeElement.innerText"):
        chair.keyboard.press("Tab")
        assert chair.evaluate("() => document.activeElement.matches('#vote button.option')")
    chair.keyboard.press("Space")
    wait_text(chair, "#vote", "Du stemte")
    tab_to(chair, "#close-vote")
    chair.keyboard.press("Enter")
    wait_state(chair, "!s.open_vote && Object.values(s.votes).some(v => v.state === 'closed')")
    check_console(chair)
    wait_text(chair, "#results", "vedtatt")
    chair.context.close()


@pytest.mark.parametrize("language, heading",
                         [("nb", "Møteleders panel"), ("nn", "Møteleiarpanel"), ("en", "Chair's console")])
def test_the_console_passes_axe_and_fits_a_phone_in_each_language(browser, live_server_url, language, heading):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    chair.goto(f"{base}/meetings/{meeting}/room/")
    chair.select_option("#language", language)
    chair.click("form.lang button")
    chair.wait_for_load_state()
    chair.wait_for_function("(l) => document.documentElement.lang.startsWith(l)", arg=language)
    chair.wait_for_selector("#roll-call li")
    assert chair.inner_text("#chair-h") == heading
    # With something in every panel: the meeting open, a speaker waiting, a motion to close pending.
    chair_token = token(base, "ordforer")
    api(base, f"/api/meetings/{meeting}/actions/meeting.open/", {}, chair_token)
    member_token = token(base, "medlem02")
    join_over_api(base, meeting, member_token)
    item = chair.locator("#item-select option").first.get_attribute("value")
    api(base, f"/api/meetings/{meeting}/actions/item.open/", {"item_id": int(item)}, chair_token)
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {"kind": "speech"}, member_token)
    ground = chair.locator("#ground option").first.get_attribute("value")
    api(base, f"/api/meetings/{meeting}/actions/doors.motion/", {"ground": ground}, chair_token)
    wait_state(chair, "s.closure_motion && s.speakers.length === 1")
    chair.wait_for_selector("#chair-speakers li")
    check_console(chair)
    assert_accessible(chair, f"chair console ({language})")
    assert_fits_a_phone(chair, f"chair console ({language})")
    assert_accessible(chair, f"chair console on a phone ({language})")
    chair.context.close()
