"""A member whose login ends while the room is open (logged out in another tab, here): the server
closes the live socket with 4401 (WS_LOGIN_CHECK_SECONDS, 1 s on the test server), and the room says
so in the page's language with a way to log in again, and stops trying to reconnect."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.browser.helpers import enter_rooms, formannskap_meeting, wait_text

pytestmark = pytest.mark.browser


def test_the_room_says_the_login_ended_and_stops_reconnecting(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    member = login(browser, base, "medlem04")
    enter_rooms(base, meeting, [member])
    sockets: list[str] = []
    member.on("websocket", lambda ws: sockets.append(ws.url))

    other_tab = member.context.new_page()  # the same browser, so the same session
    other_tab.goto(f"{base}/")
    other_tab.click("form[action='/accounts/logout/'] button")
    other_tab.wait_for_load_state()

    wait_text(member, "#conn-status", "Du er ikke lenger logget inn")
    link = member.locator("#conn-status a")
    assert link.inner_text() == "Logg inn igjen"
    assert link.get_attribute("href") == f"/accounts/login/?next=%2Fmeetings%2F{meeting}%2Froom%2F"
    member.wait_for_timeout(3000)  # a page that reconnected would have opened a socket by now (retry 0.5 s)
    assert sockets == []
    link.click()
    member.wait_for_url("**/accounts/login/**")
