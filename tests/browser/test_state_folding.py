"""The pages fold each event's `state_patch` instead of fetching the state again (fold.js): while a
meeting's events arrive, the public page asks for `state.json` only on its first load and the member
room asks for the live state only once, on connecting, and both end holding exactly the server's."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.conftest import VIEWPORT, login
from tests.browser.helpers import api, formannskap_meeting, join_over_api, token, wait_text

pytestmark = pytest.mark.browser


def state_json(base: str, meeting: int) -> dict:
    with urllib.request.urlopen(f"{base}/public/meetings/{meeting}/state.json", timeout=15) as response:
        return json.loads(response.read())


def settled(page, name: str, read, attempts: int = 5) -> dict:
    """The server's state (read by this test, not the page) once the page holds the same seq: the
    live stream may write events of its own meanwhile, so read again until both stand still."""
    for _ in range(attempts):
        server = read()
        page.wait_for_function(f"() => window.{name}.folded.seq >= {server['seq']}")
        page.wait_for_timeout(300)
        if page.evaluate(f"window.{name}.folded.seq") == server["seq"]:
            return server
    raise AssertionError(f"{name} never settled at the server's seq")


def test_the_pages_fold_events_without_fetching_the_state(browser, live_server_url):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair_token = token(base, "ordforer")

    def chair_does(command: str, **payload):
        return api(base, f"/api/meetings/{meeting}/actions/{command}/", payload, chair_token)["result"]

    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    fetched: list[str] = []
    public.on("request", lambda r: fetched.append(r.url) if r.url.split("?")[0].endswith("/state.json") else None)
    public_asked: list[str] = []
    public.on("websocket", lambda ws: ws.on("framesent", lambda frame: public_asked.append(frame)
                                           if '"type":"state"' in str(frame) else None))
    public.goto(f"{base}/meetings/{meeting}/")
    public.wait_for_function("() => window.councilPublic && window.councilPublic.folded.seq !== null")
    public.wait_for_timeout(1000)
    first_load = len(fetched)
    assert first_load == 1, fetched  # the page's first load

    room = login(browser, base, "medlem03")
    asked: list[str] = []
    room.on("websocket", lambda ws: ws.on("framesent", lambda frame: asked.append(frame)
                                         if '"type":"state"' in str(frame) else None))
    room.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(room, "#conn-status", "Tilkoblet")

    chair_does("meeting.open")
    chair_does("member.join")
    voters = [token(base, u) for u in ("medlem02", "medlem04", "medlem05")]
    state = api(base, f"/api/meetings/{meeting}/state/", token=chair_token)["state"]
    chair_id = state["meeting"]["chair"]
    ids = [chair_id] + [join_over_api(base, meeting, t)[0] for t in voters]
    for pid in ids:  # they sit in the meeting room: seen and heard without media (§ 11-7 (2))
        chair_does("member.in_room", person_id=int(pid), in_room=True)
    items = api(base, f"/api/meetings/{meeting}/items/", token=chair_token)
    chair_does("item.open", item_id=items[0]["id"])
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, voters[0])
    chair_does("floor.grant")
    proposal = api(base, f"/api/meetings/{meeting}/actions/proposal.submit/", {"text": "Saken utsettes"},
                   voters[0])["result"]
    vote = chair_does("vote.open", proposals=[proposal])
    for t in [chair_token, *voters]:
        api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": vote, "choice": "for"}, t)
    chair_does("vote.close", vote=vote)
    # Behind closed doors the public document changes only in the doors' part; the floor given
    # there never reaches the public, and the next public event brings what changed unseen.
    chair_does("doors.motion", ground="11-5-3-a")
    closure = chair_does("vote.open", kind="closure")
    for t in [chair_token, *voters]:
        api(base, f"/api/meetings/{meeting}/actions/vote.cast/", {"vote": closure, "choice": "for"}, t)
    chair_does("vote.close", vote=closure)
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, voters[1])
    chair_does("floor.grant")
    chair_does("doors.open")

    # The room's own state, `allowed` included (the member's commands, folded from their personal patches).
    member_token = token(base, "medlem03")
    server = settled(room, "councilRoom", lambda: api(base, f"/api/meetings/{meeting}/state/", token=member_token))
    assert room.evaluate("window.councilRoom.folded.state") == server["state"]
    assert server["state"]["allowed"] == ["member.join", "member.leave", "member.audio_only"]  # watching, not joined
    doc = settled(public, "councilPublic", lambda: state_json(base, meeting))
    assert public.evaluate("window.councilPublic.folded.state") == doc
    wait_text(public, "#votes", "vedtatt")
    wait_text(room, "#results", "vedtatt")
    wait_text(room, "#speaker", server["state"]["floor"]["name"])

    assert len(fetched) == first_load, fetched  # no state.json per event
    assert len(asked) == 1, asked  # the room's one `state`, on connecting
    assert public_asked == []  # the public socket sends its document on connecting, unasked
    assert room.evaluate("window.councilRoom.folded.stale") is False
    for page in (public, room):
        page.context.close()
