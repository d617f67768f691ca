"""The pages show who sees and hears as the server decides it (meetings/presence.py, § 11-7 (2)): a
member registered as present in a remote meeting without media is "connecting" in the chair console
and in another member's room, then "cannot be heard" once the media server reports no audio, and
counts once the chair registers them as sitting in the meeting room. The words are presence.reason_text's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from meetings.presence import reason_text
from tests.browser.conftest import ROOT, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text

pytestmark = pytest.mark.browser

REPORT = """
from django.contrib.auth import get_user_model
from tests.factories import report_media
report_media({meeting}, get_user_model().objects.get(username={username!r}), audio=False)
"""


def report_no_audio(env: dict[str, str], meeting: int, username: str) -> None:
    """What the media server reports for a member whose audio does not arrive (tests/factories.py
    `report_media`), written to the live server's database by a process of its own."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", REPORT.format(meeting=meeting, username=username)],
                   cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)


def test_it_shows_a_member_without_media_as_connecting_then_not_heard(browser, live_server_url, live_server_env):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    member = login(browser, base, "medlem02")
    enter_rooms(base, meeting, (chair, member))
    chair.click("text=Sett møtet")
    wait_text(chair, "#roll-call", "ikke registrert")

    # A third member registers as present over the REST API and connects no camera or microphone.
    pid, name = join_over_api(base, meeting, token(base, "medlem03"))
    connecting, no_audio = reason_text("connecting", "nb"), reason_text("no_audio", "nb")
    in_console = chair.locator(f"#roll-call li[data-person='{pid}'] .presence")
    in_room = member.locator(f"#members li[data-person='{pid}'] .status")
    expect(in_console).to_have_text(connecting)
    expect(in_room).to_have_text(connecting)
    wait_text(chair, "#warnings", f"{name} ({connecting})")

    # The media server measures that no audio arrives. The live server's channel layer is in-memory,
    # so an event written by this process reaches the pages with the next event the server itself
    # broadcasts: here the member registering as present, whose own state is "connecting".
    report_no_audio(live_server_env, meeting, "medlem03")
    member.click("#join-meeting")
    expect(member.locator("#my-presence")).to_have_text(f"Du: {connecting}")
    expect(in_console).to_have_text(no_audio)
    expect(in_room).to_have_text(no_audio)
    wait_text(chair, "#warnings", f"{name} ({no_audio})")

    # Registered by the chair as sitting in the meeting room, the member counts without media.
    chair.locator(f"#roll-call li[data-person='{pid}'] button.in-room").click()
    expect(in_console).to_have_text("ser og hører")
    expect(in_room).to_have_text("ser og hører")
    in_room = chair.locator(f"#roll-call li[data-person='{pid}'] button.in-room")
    expect(in_room).to_have_attribute("aria-pressed", "true")
    assert api(base, f"/api/meetings/{meeting}/state/", token=token(base, "medlem03"))["state"]["presence"][pid] == {
        "sees_and_hears": True, "reason": None}
    for page in (chair, member):
        page.context.close()
