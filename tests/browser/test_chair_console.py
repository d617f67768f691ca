"""The chair's console and the member room's own controls, in real browsers against a real server:
roll call, the speakers list, the see-and-hear check before a vote, conflicts of interest, a member
withdrawing their proposal, and a member's call set up again after the socket drops."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, token, wait_text

pytestmark = pytest.mark.browser


def roll_call_row(chair, name: str):
    return chair.locator("#roll-call li", has_text=name)


def test_it_runs_the_chair_console(browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    member = login(browser, base, "medlem02")
    other = login(browser, base, "medlem03")
    enter_rooms(base, meeting, (chair, member, other))
    chair.click("text=Sett møtet")
    wait_text(chair, "#roll-call", "ikke registrert")
    # A remote meeting may not be closed on a mandatory ground (§ 11-7 (3)): the console does not offer it.
    grounds = chair.eval_on_selector_all("#ground option", "os => os.map(o => o.value)")
    assert grounds == ["11-5-3-a", "11-5-3-b"], grounds

    # Roll call: one member marked present by the chair, one registered absent with a reason.
    cells = chair.locator("#roll-call li")
    names = [cells.nth(i).locator(".name").inner_text() for i in range(cells.count())]
    assert len(names) == 7, names  # every seated member of Formannskapet, connected or not
    present, absent = names[-1], names[-2]
    roll_call_row(chair, present).locator("button.mark-present").click()
    expect(roll_call_row(chair, present).locator(".status")).to_have_text("til stede")
    chair.fill("#absent-reason", "Sykdom")
    roll_call_row(chair, absent).locator("button.mark-absent").click()
    wait_text(chair, "#roll-call", "forfall: Sykdom")
    assert roll_call_row(chair, absent).locator("button", has_text="Kall inn vara").count() == 1
    for page in (chair, member, other):
        page.click("#join-meeting")
    # Nobody here connects media, so the server has each of them "connecting" (§ 11-7 (2)); the chair
    # sits in the meeting room and registers so, and then counts without media (a hybrid meeting).
    chair_id = chair.evaluate("document.getElementById('room').dataset.person")
    chair_row = chair.locator(f"#roll-call li[data-person='{chair_id}']")
    expect(chair_row.locator(".presence")).to_have_text("kobler til (lyd og bilde er ikke målt ennå)")
    chair_row.locator("button.in-room").click()
    expect(chair_row.locator(".presence")).to_have_text("ser og hører")

    chair.select_option("#item-select", index=0)
    chair.click("#open-item")
    wait_text(member, "#current-item", "FS 1/26")

    # The speakers list: moved down, then removed, by the chair in the console's own list.
    member.click("#req-floor")
    wait_text(chair, "#chair-speakers", "Ola Kristiansen")
    other.click("#req-floor")
    other_name = other.evaluate("JSON.parse(document.getElementById('roster-data').textContent)"
                                ".find(m => m.id === document.getElementById('room').dataset.person).name")
    wait_text(chair, "#chair-speakers", other_name)
    chair.click("#chair-speakers li:first-child button[aria-label*='ned']")
    chair.wait_for_function("(n) => document.querySelector('#chair-speakers li:first-child .speaker-name')"
                            ".innerText.startsWith(n)", arg=other_name)
    wait_text(member, "#speakers li:last-child", "Ola Kristiansen")
    chair.click("#chair-speakers li:first-child button:has-text('Fjern')")
    chair.wait_for_function("() => document.querySelectorAll('#chair-speakers li').length === 1")
    assert "Ola Kristiansen" in chair.inner_text("#chair-speakers")

    # A member withdraws their own proposal; only they get the button.
    member.fill("#proposal-text", "Saken utsettes.")
    member.click("#submit-proposal")
    wait_text(other, "#proposals", "Saken utsettes.")
    assert other.locator("#proposals button.withdraw-proposal").count() == 0
    member.click("#proposals button.withdraw-proposal")
    wait_text(other, "#proposals", "(trukket)")

    # A member asks to be exempted; the chair sees it, picks the kind and records the ruling.
    other.select_option("#declare-kind", "personal_exemption")
    other.fill("#declare-reason", "Sitter i styret for søkeren")
    other.click("#declare-conflict")
    wait_text(chair, "#conflicts", f"{other_name}: Fritak – Sitter i styret for søkeren – ikke avgjort")
    wait_text(other, "#my-conflicts", "venter på avgjørelse")
    chair.select_option("#conflict-member", label=other_name)
    chair.select_option("#conflict-kind", "personal_exemption")
    assert chair.input_value("#conflict-basis") == "kommuneloven § 11-11"
    chair.click("#rule-conflict")
    wait_text(chair, "#conflicts", "fratrer (kommuneloven § 11-11)")
    wait_text(other, "#my-conflicts", "du fratrer")
    chair.locator("#chair").scroll_into_view_if_needed()
    screenshot(chair, "room-chair-console", full_page=False)
    assert_accessible(chair, "chair console with roll call and conflicts")

    # A member goes audio-only (here through the REST API, as another client would) and has no media
    # measured: they do not see and hear, so the chair is warned before a vote and can step back (§ 11-7 (2)).
    api(base, f"/api/meetings/{meeting}/actions/member.audio_only/", {"on": True}, token(base, "medlem02"))
    wait_text(chair, "#warnings", "Ola Kristiansen")
    # Only the chair sees and hears and may vote: the quorum warning comes first (§ 11-9 (1),
    # tests/browser/test_allowed_actions.py), then the see-and-hear check.
    chair.click("#open-vote")
    dialog = chair.locator("dialog.confirm")
    expect(dialog).to_contain_text("For få til stede")
    chair.click("#confirm-ok")
    expect(dialog).to_contain_text("Ola Kristiansen")
    assert_accessible(chair, "see-and-hear confirmation")
    dialog.locator("button", has_text="Avbryt").click()
    chair.wait_for_timeout(500)
    assert member.locator("#vote").is_hidden()
    chair.click("#open-vote")
    expect(dialog).to_contain_text("For få til stede")
    chair.click("#confirm-ok")
    expect(dialog).to_contain_text("Ola Kristiansen")
    chair.click("#confirm-ok")
    chair.wait_for_selector("#vote button.option")
    wait_text(member, "#vote", "Du stemmer ikke i denne voteringen")  # not seen: not present for the vote
    wait_text(other, "#vote", "Du stemmer ikke i denne voteringen")  # exempted from the item
    for page in (chair, member, other):
        page.context.close()


def test_it_sets_up_a_members_call_again_after_the_socket_drops(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    member = login(browser, base, "medlem02")
    enter_rooms(base, meeting, (chair, member))
    chair.click("text=Sett møtet")
    for page in (chair, member):
        page.click("#join-meeting")
        page.click("#join-media")
    playing = ("() => [...document.querySelectorAll('#floor-videos video')]"
               ".some(v => v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5)")
    member.wait_for_function(playing)  # the chair's picture

    # The call is lost and the socket drops (as when the server restarts): once the socket is back,
    # the page sets up a new call, and the chair's picture plays again.
    member.evaluate("() => { councilRoom.media.pc.close(); councilRoom.live.ws.close(); }")
    wait_text(member, "#conn-status", "Frakoblet")
    wait_text(member, "#conn-status", "Tilkoblet")
    member.wait_for_function("() => councilRoom.media.pc.connectionState === 'connected'")
    member.wait_for_function(playing)
    frames = ("Math.max(...[...document.querySelectorAll('#floor-videos video')]"
              ".map(v => v.getVideoPlaybackQuality().totalVideoFrames))")
    before = member.evaluate(frames)
    member.wait_for_timeout(1000)
    assert member.evaluate(frames) > before  # decoded frames keep arriving on the new call
    for page in (chair, member):
        page.context.close()


def test_it_shows_the_chair_console_in_english(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    chair.goto(f"{base}/meetings/{meeting}/room/")
    chair.select_option("#language", "en")
    chair.click("form.lang button")
    chair.wait_for_load_state()
    wait_text(chair, "#conn-status", "Connected")
    assert chair.inner_text("#chair-h") == "Chair's console"
    grounds = chair.eval_on_selector_all("#ground option", "os => os.map(o => o.textContent)")
    assert grounds and all("Local Government Act" in g for g in grounds), grounds
    chair.context.close()
