"""A member's meeting in the room (issue 13): joining through the pre-join screen, the floor with the
member's place on the list, a ballot that shows what is voted on and locks the member's choice, and the
end of the meeting (the call stopped, the minutes linked). At every step the room's buttons are
checked against the server's `state.allowed`. The chair acts over the REST API (as another client),
so each test needs one browser page only. Real server, real Chromium with fake camera and microphone."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text

pytestmark = pytest.mark.browser

SHOTS = ROOT / "docs" / "screenshots"

# Every command button of the member room (the chair's console has its own test) against the state
# the page holds: disabled exactly when its command is not in `allowed`, a button awaiting its
# answer excepted; "audio only" changes the member's own call, so it also needs one.
MATCHES_ALLOWED = """() => {
  const s = window.councilRoom?.folded?.state;
  if (!s || !Array.isArray(s.allowed)) return false;
  const chair = document.getElementById('chair');
  const buttons = [...document.querySelectorAll('#room button[data-command]')].filter(b => !chair?.contains(b));
  const ready = (b) => b.dataset.needs !== 'media' || Boolean(window.councilRoom.media.stream);
  return buttons.length >= 10 && buttons.every(b => b.getAttribute('aria-busy') === 'true'
    || b.disabled === !(s.allowed.includes(b.dataset.command) && ready(b)));
}"""

# Records every button that turned aria-busy, so a pending state as short as one round trip is seen.
WATCH_BUSY = """() => {
  window.busySeen = [];
  new MutationObserver((changes) => { for (const c of changes) {
    if (c.target.getAttribute('aria-busy') === 'true') window.busySeen.push(c.target.id || c.target.className);
  } }).observe(document.getElementById('room'), {subtree: true, attributes: true, attributeFilter: ['aria-busy']});
}"""

IN_VIEW = """(selector) => { window.scrollTo(0, 0); const r = document.querySelector(selector).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"""

FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def wait_state(page, condition: str) -> None:
    page.wait_for_function(f"() => {{ const s = window.councilRoom?.folded?.state; const me = "
                           f"document.getElementById('room').dataset.person; return Boolean(s && ({condition})); }}")


def check_buttons(page) -> set[str]:
    page.wait_for_function(MATCHES_ALLOWED)
    return set(page.evaluate("() => councilRoom.folded.state.allowed"))


class Chair:
    """The chair over the REST API."""

    def __init__(self, base: str, meeting: int) -> None:
        self.base, self.meeting, self.token = base, meeting, token(base, "ordforer")

    def does(self, command: str, **payload):
        return api(self.base, f"/api/meetings/{self.meeting}/actions/{command}/", payload, self.token)["result"]

    def items(self) -> list[dict]:
        return api(self.base, f"/api/meetings/{self.meeting}/items/", token=self.token)


def test_a_member_joins_asks_for_the_floor_votes_and_sees_the_meeting_end(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Chair(base, meeting)
    member = login(browser, base, "medlem05")
    enter_rooms(base, meeting, [member])

    # Before the meeting opens: nothing of the procedure is offered.
    now = check_buttons(member)
    assert not now & {"floor.request", "vote.cast", "proposal.submit", "conflict.declare"}, now
    expect(member.locator("#req-floor")).to_be_disabled()
    chair.does("meeting.open")
    wait_state(member, "s.meeting.state === 'in_session'")
    now = check_buttons(member)
    assert "floor.request" not in now  # not present, no item open
    expect(member.locator("#req-floor")).to_be_disabled()

    # Joining through the pre-join screen: the call, and registered as present in one step.
    member.wait_for_selector('#check-status[data-state="ok"]')
    member.evaluate(WATCH_BUSY)
    member.click("#join-media")
    wait_state(member, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
    expect(member.locator("#prejoin")).to_be_hidden()
    expect(member.locator("#mute")).to_be_enabled()
    expect(member.locator("#join-meeting")).to_be_hidden()  # present: not offered again
    member.wait_for_function("() => window.busySeen.includes('join-meeting')")  # pending while the server answered
    check_buttons(member)
    expect(member.locator("#audio-only")).to_be_enabled()

    # Another member (another client) asks first; the item opens.
    other = token(base, "medlem04")
    other_id, _ = join_over_api(base, meeting, other)
    chair.does("member.in_room", person_id=int(other_id), in_room=True)
    chair.does("item.open", item_id=chair.items()[1]["id"])
    wait_state(member, "s.allowed.includes('floor.request')")
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {"kind": "speech"}, other)
    wait_state(member, "s.speakers.length === 1")
    now = check_buttons(member)
    assert "floor.withdraw" not in now
    expect(member.locator("#withdraw")).to_be_disabled()

    # A refusal stays beside the action, in the page's language, until dismissed: a reply with
    # nobody on the floor (the server allows asking for the floor, and refuses a reply to no one).
    member.click("#req-reply")
    refusal = member.locator(".control:has(#req-reply) .action-error")
    expect(refusal).to_contain_text("En replikk svarer den som har ordet, og ingen har ordet.")
    assert member.locator("#errors").inner_text() == ""

    # Asking for the floor: pending, then the member's place on the list, from the state.
    member.click("#req-floor")
    wait_text(member, "#queue-pos", "Du er nummer 2 på talelisten.")
    assert "req-floor" in member.evaluate("window.busySeen")
    expect(refusal).to_be_visible()  # still there after the state moved on
    refusal.locator("button.dismiss").click()
    expect(refusal).to_have_count(0)
    now = check_buttons(member)
    assert "floor.withdraw" in now
    expect(member.locator("#withdraw")).to_be_enabled()
    chair.does("floor.grant")  # the other member speaks: the member moves up
    wait_text(member, "#queue-pos", "Du er nummer 1 på talelisten.")
    assert_accessible(member, "member room, in session")
    member.set_viewport_size({"width": 390, "height": 844})
    member.wait_for_function("() => document.documentElement.clientWidth === 390")
    assert member.evaluate(FITS), member.evaluate("() => document.documentElement.scrollWidth")
    member.set_viewport_size({"width": 1280, "height": 800})

    # A declared conflict of interest, for the current item unless the member chooses another.
    assert member.input_value("#declare-item") == str(chair.items()[1]["id"])
    member.fill("#declare-reason", "Eier naboeiendommen")
    member.click("#declare-conflict")
    wait_text(member, "#my-conflicts", "venter på avgjørelse")
    assert member.input_value("#declare-reason") == ""

    # The ballot: the question, the proposal's full text, in front of the member without scrolling.
    text = "Havneplanen sendes tilbake til administrasjonen for en ny vurdering av moloen."
    proposal = api(base, f"/api/meetings/{meeting}/actions/proposal.submit/", {"text": text}, other)["result"]
    vote = chair.does("vote.open", proposals=[proposal])
    member.wait_for_selector("#vote:not([hidden]) button.option")
    wait_text(member, "#vote .proposal-text", text)
    assert "FS 2/26 Havneplan" in member.inner_text("#vote")
    assert member.evaluate(IN_VIEW, "#vote"), "the ballot is not on the screen at 1280×800"
    assert member.evaluate("document.activeElement.id") == "vote-h"
    now = check_buttons(member)
    assert "vote.cast" in now
    assert_accessible(member, "member room, in a vote")
    member.screenshot(path=str(SHOTS / "ballot.png"))
    member.set_viewport_size({"width": 390, "height": 844})
    member.wait_for_function("() => document.documentElement.clientWidth === 390")
    assert member.evaluate(FITS), member.evaluate("() => document.documentElement.scrollWidth")
    assert member.evaluate(IN_VIEW, "#vote .ballot-options"), "the choices are not on a phone's screen"
    member.set_viewport_size({"width": 1280, "height": 800})
    member.click("#vote button.option:has-text('For')")
    wait_text(member, "#vote .my-choice", "Du stemte: For")
    wait_text(member, "#vote", "Stemmen din er avgitt og kan ikke lenger endres.")
    assert member.locator("#vote button.option").count() == 0  # locked: no choice offered again
    assert "vote.cast" not in check_buttons(member)
    api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": vote, "choice": "against"}, other)
    chair.does("vote.close", vote=vote)
    member.wait_for_selector("#vote[data-state='closed'] .ballot-result")
    wait_text(member, "#vote .ballot-result", "For: 1, Mot: 1")
    wait_text(member, "#vote .my-choice", "Du stemte: For")

    # The end: the call stops (every track ended, the peer closed) and the minutes are linked.
    member.evaluate("() => { window.callTracks = councilRoom.media.stream.getTracks(); }")
    assert member.evaluate("() => window.callTracks.length") == 2
    chair.does("item.close", item_id=chair.items()[1]["id"])
    chair.does("meeting.end")
    ended = member.locator("#ended")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("Møtet er slutt – protokollen er publisert.")
    assert member.get_attribute("#minutes-link", "href") == f"/meetings/{meeting}/minutes/"
    member.wait_for_function("() => window.callTracks.every(t => t.readyState === 'ended')")
    assert member.evaluate("() => councilRoom.media.pc === null && councilRoom.media.stream === null")
    assert member.evaluate("() => ['self-view', 'preview'].every(id => !document.getElementById(id).srcObject)")
    expect(member.locator("#prejoin")).to_be_hidden()
    now = check_buttons(member)
    assert not now & {"floor.request", "vote.cast", "member.join"}, now
    assert_accessible(member, "member room, meeting ended")
    member.context.close()


def test_the_room_in_nynorsk_passes_axe_and_captions_the_speaker(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Chair(base, meeting)
    member = login(browser, base, "medlem06")
    # What the language chooser (set_language) sets.
    member.context.add_cookies([{"name": "django_language", "value": "nn", "url": base}])
    member.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(member, "#conn-status", "Tilkopla")
    assert member.evaluate("document.documentElement.lang") == "nn"
    member.wait_for_selector('#check-status[data-state="ok"]')
    assert_accessible(member, "member room, pre-join (nn)")
    chair.does("meeting.open")
    member.click("#join-media")
    wait_state(member, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
    chair.does("item.open", item_id=chair.items()[0]["id"])
    member.click("#req-floor")
    wait_text(member, "#queue-pos", "Du er nummer 1 på talarlista.")
    check_buttons(member)

    # Another member (in a browser with camera and microphone) is given the floor: their picture on
    # the stage carries their name, party and role, and the speaking indicator while their voice is heard.
    speaker = login(browser, base, "medlem03")
    enter_rooms(base, meeting, [speaker])
    speaker.click("#join-media")
    wait_state(speaker, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
    speaker_id = speaker.evaluate("document.getElementById('room').dataset.person")
    chair.does("floor.grant", person_id=int(speaker_id))
    figure = member.locator(f"#floor-videos figure.slot-video[data-person='{speaker_id}']")
    expect(figure).to_be_visible()
    party = next(m["party"] for m in member.evaluate("JSON.parse(document.getElementById('roster-data').textContent)")
                 if m["id"] == speaker_id)
    expect(figure.locator(".caption-party")).to_have_text(party)
    expect(figure.locator(".caption-role")).to_have_text("har ordet")
    expect(figure.locator(".caption-name")).to_have_text(speaker.evaluate(
        "councilRoom.folded.state.attendance[document.getElementById('room').dataset.person].name"))
    member.wait_for_selector(f"#floor-videos figure.speaking[data-person='{speaker_id}'] .speaking-badge:not([hidden])")
    speaker.wait_for_selector("#self-tile.speaking .speaking-badge:not([hidden])")  # their own tile too
    expect(member.locator("#queue-pos")).to_have_text("Du er nummer 1 på talarlista.")
    assert_accessible(member, "member room, in session (nn)")
    speaker.context.close()
    chair.does("vote.open")  # on the item's recommendation
    wait_text(member, "#vote .proposal-text", "Budsjettjustering vedtas.")
    wait_text(member, "#vote", "Innstillinga")
    assert_accessible(member, "member room, in a vote (nn)")
    member.click("#vote button.option:has-text('Mot')")
    wait_text(member, "#vote .my-choice", "Du røysta: Mot")
    assert_accessible(member, "member room, vote cast (nn)")
    member.context.close()


def body_written_ballot_basis(env: dict[str, str], basis: str) -> None:
    """Sets Formannskapet's rules of procedure on written ballots (§ 11-12) in the live server's database."""
    code = ("from meetings.models import Body; "
            f"Body.objects.filter(slug='formannskapet').update(written_ballot_basis={basis!r})")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


def test_an_election_by_written_ballot_lists_the_candidates_and_keeps_the_choice_secret(
        browser, live_server_url, live_server_env):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Chair(base, meeting)
    body_written_ballot_basis(live_server_env, "Reglement for Formannskapet § 9")
    try:
        member = login(browser, base, "medlem02")
        enter_rooms(base, meeting, [member])
        chair.does("meeting.open")
        member.wait_for_selector('#check-status[data-state="ok"]')
        member.click("#join-media")
        wait_state(member, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
        chair.does("item.open", item_id=chair.items()[2]["id"])
        vote = chair.does("vote.open", kind="election", candidates=["Kari Nordmann", "Per Hansen"], written=True)
    finally:
        body_written_ballot_basis(live_server_env, "")
    ballot = member.locator("#vote form.written-ballot")
    expect(ballot).to_be_visible()
    expect(member.locator("#vote .ballot-candidates li")).to_have_text(["Kari Nordmann", "Per Hansen"])
    expect(ballot.locator("legend")).to_have_text("Skriftlig valg: valget ditt er hemmelig")
    assert member.evaluate(IN_VIEW, "#vote")
    check_buttons(member)
    assert_accessible(member, "member room, a written ballot")
    ballot.get_by_label("Per Hansen").check()
    ballot.locator("button[type=submit]").click()
    wait_text(member, "#vote .my-choice", "Du har avgitt den skriftlige stemmen din.")
    assert "Per Hansen" not in member.inner_text("#vote .ballot-locked")  # the page keeps no choice either
    assert "vote.cast" not in check_buttons(member)
    chair.does("vote.close", vote=vote)
    wait_text(member, "#vote .ballot-result", "Kari Nordmann: 0, Per Hansen: 1")  # one voter: no quorum
    member.context.close()


def test_the_room_in_english_passes_axe_before_joining_and_in_a_vote(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = Chair(base, meeting)
    member = login(browser, base, "medlem03")
    member.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    member.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(member, "#conn-status", "Connected")
    member.wait_for_selector('#check-status[data-state="ok"]')
    assert_accessible(member, "member room, pre-join (en)")
    chair.does("meeting.open")
    member.click("#join-media")
    wait_state(member, "s.attendance[me]?.present && s.presence[me]?.sees_and_hears")
    chair.does("item.open", item_id=chair.items()[0]["id"])
    chair.does("vote.open")
    wait_text(member, "#vote", "The recommendation: Budsjettjustering vedtas.")
    check_buttons(member)
    assert_accessible(member, "member room, in a vote (en)")
    member.click("#vote button.option:has-text('Against')")
    wait_text(member, "#vote", "Your vote is cast and can no longer be changed.")
    member.context.close()
