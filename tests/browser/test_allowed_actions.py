"""The chair's console enables exactly the commands the server allows now (`state.allowed`,
meetings/allowed.py), shows a request as pending until the server answers, keeps a refusal beside its
button in Norwegian until it is dismissed, and warns before a vote opens or closes without a quorum
(`state.quorum`, § 11-9 (1)). A real server and a real browser; every wait is on a state."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token

pytestmark = pytest.mark.browser

# Every action button of the console against the state the page holds: disabled exactly when its
# command is not in `allowed` (a button waiting for an answer excepted).
MATCHES_ALLOWED = """() => {
  const s = window.councilRoom?.folded?.state;
  if (!s || !Array.isArray(s.allowed)) return false;
  const buttons = [...document.querySelectorAll('#chair button[data-cmd], #chair button[data-command]')];
  return buttons.length > 10 && buttons.every(b => b.getAttribute('aria-busy') === 'true'
    || b.disabled === !s.allowed.includes(b.dataset.cmd || b.dataset.command));
}"""

# Records every button that turned aria-busy, so a pending state as short as one round trip is seen.
WATCH_BUSY = """() => {
  window.busySeen = [];
  new MutationObserver((changes) => { for (const c of changes) {
    if (c.target.getAttribute('aria-busy') === 'true') window.busySeen.push(c.target.dataset.cmd || c.target.id);
  } }).observe(document.getElementById('chair'), {subtree: true, attributes: true, attributeFilter: ['aria-busy']});
}"""


def allowed(page) -> set[str]:
    return set(page.evaluate("() => councilRoom.folded.state.allowed"))


def wait_state(page, condition: str) -> None:
    page.wait_for_function(f"() => {{ const s = window.councilRoom?.folded?.state; "
                           f"return Boolean(s && ({condition})); }}")


def check_buttons(page) -> set[str]:
    page.wait_for_function(MATCHES_ALLOWED)
    return allowed(page)


def test_the_console_follows_the_servers_allowed_actions_and_warns_without_a_quorum(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    enter_rooms(base, meeting, (chair,))
    button = lambda command: chair.locator(f"#chair button[data-cmd='{command}']")  # noqa: E731

    # Before opening: only the opening and the roll call, nothing of the procedure.
    wait_state(chair, "s.allowed.includes('meeting.open')")
    now = check_buttons(chair)
    assert {"meeting.open", "roll_call"} <= now and not now & {"meeting.end", "item.open", "vote.open"}
    expect(button("meeting.open")).to_be_enabled()
    expect(button("meeting.end")).to_be_disabled()
    expect(chair.locator("#open-vote")).to_be_disabled()

    # Opening: the button waits for the answer (disabled, aria-busy), then the state moves on.
    chair.evaluate(WATCH_BUSY)
    button("meeting.open").click()
    chair.wait_for_function("() => window.busySeen.includes('meeting.open')")
    wait_state(chair, "s.meeting.state === 'in_session'")
    expect(button("meeting.open")).not_to_have_attribute("aria-busy", "true")
    now = check_buttons(chair)
    assert {"meeting.suspend", "meeting.end", "item.open"} <= now and "meeting.open" not in now
    expect(button("meeting.open")).to_be_disabled()
    expect(button("meeting.suspend")).to_be_enabled()
    assert "floor.grant" not in now  # nobody present to give the floor to
    expect(chair.locator("#grant-next")).to_be_disabled()

    # The chair joins and sits in the room: someone present, so the floor may be given, but the
    # speakers list is empty. The refusal stays beside the button, in Norwegian, until dismissed.
    chair.click("#join-meeting")
    wait_state(chair, "s.allowed.includes('floor.grant')")
    check_buttons(chair)
    chair.click("#grant-next")
    refusal = chair.locator("#grant-next + .action-error")
    expect(refusal).to_contain_text("Talerlisten er tom.")
    assert chair.locator("#errors").inner_text() == ""  # not at the page's bottom
    assert_accessible(chair, "a refusal beside its button")
    chair_id = chair.evaluate("document.getElementById('room').dataset.person")
    chair.locator(f"#roll-call li[data-person='{chair_id}'] button.in-room").click()
    wait_state(chair, f"s.presence['{chair_id}']?.sees_and_hears && s.quorum.present === 1")
    chair.select_option("#item-select", index=0)
    chair.click("#open-item")
    wait_state(chair, "s.current_item")
    now = check_buttons(chair)
    assert {"item.close", "vote.open", "doors.motion"} <= now and "item.open" not in now
    expect(refusal).to_contain_text("Talerlisten er tom.")  # still there after the state moved on
    refusal.locator("button.dismiss").click()
    expect(chair.locator("#grant-next + .action-error")).to_have_count(0)

    # One of seven present: the chair is warned before the vote opens, with the numbers, and may step back.
    assert chair.evaluate("() => councilRoom.folded.state.quorum") == {"present": 1, "required": 4, "met": False}
    chair.click("#open-vote")
    dialog = chair.locator("dialog.confirm")
    expect(dialog).to_contain_text("For få til stede til at møtet er vedtaksført")
    expect(dialog).to_contain_text("1 til stede som ser og hører, 4 kreves")
    assert_accessible(chair, "the quorum warning")
    dialog.locator("button", has_text="Avbryt").click()
    expect(dialog).to_have_count(0)
    assert chair.evaluate("() => councilRoom.folded.state.open_vote") is None
    chair.click("#open-vote")
    expect(dialog).to_contain_text("4 kreves")
    chair.click("#confirm-ok")
    wait_state(chair, "s.open_vote")
    now = check_buttons(chair)
    assert {"vote.close", "vote.cast"} <= now and not now & {"vote.open", "item.close", "meeting.end"}
    expect(chair.locator("#close-vote")).to_be_enabled()
    expect(chair.locator("#open-vote")).to_be_disabled()
    expect(button("meeting.end")).to_be_disabled()

    # And before it closes.
    chair.click("#close-vote")
    expect(dialog).to_contain_text("Avslutt voteringen likevel")
    chair.click("#confirm-ok")
    wait_state(chair, "!s.open_vote && Object.values(s.votes).some(v => v.state === 'closed')")
    check_buttons(chair)

    # Enough members present and counted (in the room, registered over the API): no warning.
    chair_token = token(base, "ordforer")
    for username in ("medlem02", "medlem03", "medlem04"):
        pid, _ = join_over_api(base, meeting, token(base, username))
        api(base, f"/api/meetings/{meeting}/actions/member.in_room/", {"person_id": int(pid), "in_room": True},
            chair_token)
    wait_state(chair, "s.quorum.met && s.quorum.present === 4")
    chair.click("#open-vote")
    wait_state(chair, "s.open_vote")
    expect(dialog).to_have_count(0)
    check_buttons(chair)
    chair.click("#close-vote")
    wait_state(chair, "!s.open_vote")
    expect(dialog).to_have_count(0)

    # Ended: nothing of the meeting's procedure is left to do.
    button("meeting.end").click()
    wait_state(chair, "s.meeting.state === 'ended'")
    now = check_buttons(chair)
    assert not now & {"meeting.open", "meeting.suspend", "meeting.resume", "meeting.end", "item.open", "vote.open",
                      "floor.grant", "doors.motion", "conflict.rule"}
    for command in ("meeting.open", "meeting.suspend", "meeting.resume", "meeting.end"):
        expect(button(command)).to_be_disabled()
    chair.context.close()
