"""A whole meeting through the browser: a chair and two members join with (fake) camera and
microphone, the floor is given, the speaker's picture and sound reach the other member, a vote is
held and its result appears on the public page, the doors are closed and opened, the meeting ends,
and the minutes appear in the archive. Every page on the way passes the accessibility scan."""

from __future__ import annotations

import pytest

from tests.browser import fake_media
from tests.browser.conftest import VIEWPORT, assert_accessible, login
from tests.browser.helpers import (
    NOTICE,
    api,
    cast_everywhere,
    enter_rooms,
    formannskap_meeting,
    join_over_api,
    token,
    wait_text,
)
from tests.browser.probes import VIDEO_COLOUR, is_magenta, wait_for_speaker_media, wait_until_not_showing_speaker

pytestmark = pytest.mark.browser


def test_it_holds_a_meeting_from_the_browser(browser, speaker_browser, live_server_url, screenshot):
    base = live_server_url
    MEETING = formannskap_meeting(base)
    fourth = token(base, "medlem04")  # a fourth member, on another client (the REST API)

    def fourth_does(command: str, **payload):
        return api(base, f"/api/meetings/{MEETING}/actions/{command}/", payload, fourth)

    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    public.goto(f"{base}/meetings/{MEETING}/")
    public.wait_for_timeout(300)
    # The notice (§ 11-3): its text, the case list and the public documents, never the exempt ones.
    main = public.inner_text("main")
    assert NOTICE in main and "Saksframlegg FS 2/26" in main and "Unntatt vedlegg" not in main
    public.click("text=Saksframlegg FS 2/26")
    assert "Rådmannens saksframlegg om havneplan." in public.inner_text("main")
    public.go_back()
    assert_accessible(public, "public page, notice published")
    chair = login(browser, base, "ordforer")
    # The speaker-to-be has a recognisable camera and microphone, in a browser of their own.
    members = [login(speaker_browser, base, "medlem02"), login(browser, base, "medlem03")]
    everyone = [chair, *members]
    enter_rooms(base, MEETING, everyone)
    chair.click("text=Sett møtet")
    for page in everyone:
        page.click("#join-meeting")
        page.click("#join-media")
    fourth_id, _ = join_over_api(base, MEETING, fourth)
    # The fourth member has no media on this client: the chair registers them as sitting in the
    # meeting room (a hybrid meeting), so the server counts them as seeing and hearing (§ 11-7 (2)).
    chair.locator(f"#roll-call li[data-person='{fourth_id}'] button.in-room").click()
    for page in everyone:
        page.wait_for_function("() => document.getElementById('mute').disabled === false")
    wait_text(chair, "#members", "Ola Kristiansen")
    # The public live stream plays in the browser (the media element advances).
    public.wait_for_function("() => document.getElementById('player').currentTime > 0.5")

    # Before the item: every member is seen and heard (the chair's see-and-hear warning is gone),
    # otherwise they would not count towards the quorum (§ 11-7 (2), § 11-9).
    chair.wait_for_function("() => document.getElementById('warnings').hidden === true")

    # The chair opens an item and gives the floor to a member who asked for it.
    chair.select_option("#item-select", index=1)
    chair.click("#open-item")
    wait_text(members[1], "#current-item", "FS 2/26")
    members[0].click("#req-floor")
    wait_text(chair, "#speakers", "Ola Kristiansen")
    chair.click("#grant-next")
    wait_text(public, "#speaker", "Ola Kristiansen")
    wait_text(public, "#captions", "Ola Kristiansen har ordet – FS 2/26")  # the text line under the picture
    # The other member receives the speaker's picture (magenta, moving) and sound (a 1500 Hz tone),
    # measured in that member's page from the decoded media, not from signalling.
    received = wait_for_speaker_media(members[1], tone_hz=fake_media.TONE_HZ, speaker="Ola Kristiansen")
    assert received["ok"], received
    screenshot(members[1], "room-member", full_page=False)
    assert_accessible(members[1], "member room")
    assert_accessible(chair, "chair console")

    # A vote on the recommendation; the result shows on the public page.
    chair.click("#open-vote")
    cast_everywhere(everyone, "For")
    vote = api(base, f"/api/meetings/{MEETING}/state/", token=fourth)["state"]["open_vote"]
    fourth_does("vote.cast", vote=int(vote), choice="for")
    screenshot(chair, "room-chair-vote")
    chair.click("#close-vote")
    wait_text(public, "#votes", "vedtatt")  # 4 of 7 voted: a quorum (§ 11-9)
    # In words, not the protocol's keys.
    assert "For: 4, Mot: 0 – vedtatt" in public.inner_text("#votes"), public.inner_text("#votes")
    assert "Havneplan vedtas." in public.inner_text("#votes")
    public.evaluate("window.scrollTo(0, 0)")
    screenshot(public, "public-vote-result", full_page=False)
    assert_accessible(public, "public page, live, with a vote result")

    # Closing the doors: motion with a legal ground, vote in open session, doors closed, reopened.
    chair.select_option("#ground", "11-5-3-a")
    chair.click("#doors-motion")
    chair.click("#closure-vote")
    cast_everywhere(everyone, "For")
    vote = api(base, f"/api/meetings/{MEETING}/state/", token=fourth)["state"]["open_vote"]
    fourth_does("vote.cast", vote=int(vote), choice="for")
    chair.click("#close-vote")
    wait_text(public, "#closed-notice", "§ 11-5 tredje ledd bokstav a")
    wait_text(public, "#captions", "Lukket møte")
    wait_text(members[0], "#doors-banner", "Dørene er lukket")
    # The public player, a few seconds behind live (HLS), then shows the slate, not the speaker.
    assert public.evaluate(VIDEO_COLOUR, "#player") is not None
    colour = wait_until_not_showing_speaker(public, "#player")
    assert colour is not None and not is_magenta(colour), colour
    public.evaluate("window.scrollTo(0, 0)")
    screenshot(public, "public-doors-closed", full_page=False)
    assert_accessible(public, "public page, doors closed")
    chair.click("#chair button[data-cmd='doors.open']")  # step 4 of the doors flow
    public.wait_for_function("() => document.getElementById('closed-notice').hidden === true")

    # The meeting ends; the minutes are published automatically and the archive lists them.
    chair.click("#close-item")
    wait_text(chair, "#current-item", "–")
    chair.click("text=Hev møtet")
    wait_text(public, "#meeting-state", "Møtet er slutt")
    public.goto(f"{base}/meetings/{MEETING}/")
    public.wait_for_timeout(300)
    assert_accessible(public, "public page, ended (recording)")
    # The recording's chapters, one per item, as a list anyone can use to jump to an item.
    public.wait_for_selector("#chapters:not([hidden]) li button")
    chapter = public.locator("#chapters button", has_text="FS 2/26")
    chapter.click()
    assert public.evaluate("document.activeElement.id") == "player"
    wait_text(public, "#captions", "FS 2/26")  # the text line names the chapter being played
    archive = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    archive.goto(f"{base}/archive/")
    archive.wait_for_selector(f"a[href='/meetings/{MEETING}/minutes/']")
    assert_accessible(archive, "archive")
    archive.goto(f"{base}/meetings/{MEETING}/minutes/")
    assert "FS 2/26" in archive.inner_text("main")
    screenshot(archive, "minutes-published", full_page=False)
    assert_accessible(archive, "minutes")
