"""The member room (issue 13): the pre-join device check resolves, the screen passes the accessibility
scan, and the room fits a 390 px phone without horizontal scrolling. Screenshots for docs/screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import assert_accessible, login
from tests.browser.helpers import enter_rooms, formannskap_meeting

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_it_fits_a_phone_and_passes_axe_before_joining(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    member = login(browser, base, "medlem05")
    enter_rooms(base, meeting, [member])
    member.wait_for_selector("#prejoin:not([hidden]) #join-media")
    # The device check resolves, in the page's language: a playing preview, the devices by name, a level.
    status = member.wait_for_selector('#check-status[data-state="ok"]')
    assert status.text_content() == "Kameraet og mikrofonen din virker. Snakk for å se nivået bevege seg."
    member.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
    assert member.eval_on_selector_all("#camera option", "os => os.map(o => o.textContent)")[0].startswith("fake")
    member.wait_for_function("() => document.getElementById('mic-level').value > 0")  # Chromium's fake beep
    assert_accessible(member, "member room, pre-join")
    SHOTS.mkdir(parents=True, exist_ok=True)
    member.screenshot(path=str(SHOTS / "pre-join.png"))
    member.set_viewport_size({"width": 390, "height": 844})
    member.wait_for_function("() => document.documentElement.clientWidth === 390")
    widths = member.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths
    member.screenshot(path=str(SHOTS / "phone-room.png"))
    member.context.close()
