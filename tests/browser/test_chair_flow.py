"""The chair's console at 1280×800: its main controls are on the screen without scrolling the page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.browser.helpers import enter_rooms, formannskap_meeting

pytestmark = pytest.mark.browser

MAIN_CONTROLS = ["#chair button[data-cmd='meeting.open']", "#chair button[data-cmd='meeting.end']", "#roll-call",
                 "#grant-next", "#open-vote", "#close-vote", "#doors-motion", "#rule-conflict"]


def test_it_fits_the_console_on_one_screen(browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    enter_rooms(base, meeting, (chair,))
    chair.wait_for_selector("#roll-call li")
    assert chair.evaluate("() => window.scrollY") == 0
    for selector in MAIN_CONTROLS:
        # Each control's panel is on the screen; a panel may scroll inside itself to the control.
        box = chair.locator(selector).first.evaluate(
            "(n) => { const r = n.closest('fieldset').getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom}; }")
        assert 0 <= box["top"] and box["bottom"] <= 800, (selector, box)
    screenshot(chair, "chair-console", full_page=False)
    chair.context.close()
