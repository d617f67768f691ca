"""Clients fold each event's `state_patch` into the state they hold (meetings/state_patch.py): a member
socket's folded live state and a public socket's folded public document equal the server's after a
meeting's worth of commands, with no state read per event."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from meetings import public_state, selectors, state_patch
from meetings.legal import ClosureGround
from meetings.models import Meeting, Person
from tests.factories import make_council, make_meeting, report_media
from tests.helpers import Socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_memory():
    # Both are per process and keyed by meeting id; test databases reuse ids.
    state_patch.forget()
    public_state._cache.clear()


class Folding:
    """A socket that folds its events like fold.js: a whole state first, then each event's patch."""

    def __init__(self, socket: Socket, *, public: bool) -> None:
        self.socket, self.public = socket, public
        self.state: dict | None = None
        self.seq = 0
        self.patched = self.reloads = self.cursor = 0

    def adopt(self, msg: dict) -> None:
        self.state, self.seq = msg["state"], msg["seq"]

    async def reload(self) -> None:
        self.reloads += 1
        self.adopt(await self.socket.call("state"))

    async def fold(self) -> None:
        """Fold every event the socket has received (its own commands' replies read some of them)."""
        await self.socket.drain()
        while self.cursor < len(self.socket.events):
            msg = self.socket.events[self.cursor]
            self.cursor += 1
            if msg["seq"] <= self.seq:
                continue  # in the state already
            follows = (msg.get("prev_public_seq") is not None and msg["prev_public_seq"] <= self.seq) if self.public \
                else msg["seq"] == self.seq + 1
            if "state_patch" not in msg or not follows:
                await self.reload()
                continue
            json.dumps(msg)  # what a browser gets
            self.state = state_patch.apply(self.state, msg["state_patch"])
            self.seq = msg["seq"]
            self.patched += 1


async def member(meeting, user) -> Socket:
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(user))
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    await s.call("sync", after=0)
    return s


def server_state(meeting_id: int, user=None) -> tuple[int, dict]:
    """The log's seq and the state as the member socket sends it to `user` (with their `allowed`)."""
    m = Meeting.objects.get(id=meeting_id)
    if user is None:
        return m.last_seq, m.live_state
    seq, state = selectors.member_live_state(meeting_id=meeting_id, person_id=Person.objects.get(user=user).id)
    assert seq == m.last_seq
    return seq, state


async def test_a_member_and_the_public_fold_to_the_servers_state(setup_meeting):
    council, meeting = setup_meeting
    chair = await member(meeting, council.chair)
    others = [await member(meeting, u) for u in council.members]
    watcher = Folding(others[-1], public=False)
    await watcher.reload()
    start = watcher.seq
    assert watcher.state["allowed"] == ["member.join", "member.leave", "member.audio_only"]  # the notice is out
    viewer_socket = Socket(f"/ws/public/meetings/{meeting.id}/")
    assert (await viewer_socket.connect())[0]
    viewer = Folding(viewer_socket, public=True)
    viewer.adopt(await viewer_socket.recv())

    await chair.call("meeting.open")
    for s in [chair, *others]:
        assert (await s.call("member.join"))["type"] == "ack"
    for u in [council.chair, *council.members]:
        await database_sync_to_async(report_media)(meeting, u)
    item = await database_sync_to_async(lambda: meeting.items.order_by("id").first())()
    await chair.call("item.open", item_id=item.id)
    await others[0].call("conflict.declare", item_id=item.id, reason="nabo")
    declarer = await database_sync_to_async(council.pid)(council.members[0])
    await chair.call("conflict.rule", item_id=item.id, person_id=declarer, recused=False,
                     legal_basis="fvl. § 6 (2)")
    await others[1].call("floor.request")
    await others[2].call("floor.request")
    await chair.call("floor.grant")
    await others[2].call("floor.withdraw")
    proposal = (await others[1].call("proposal.submit", text="Saken utsettes"))["result"]
    await others[1].call("question.ask", text="Når kommer sakspapirene?")
    await chair.call("floor.end")
    # A member's media drops: presence, the legal fact, is restated by the server and folded as such.
    await database_sync_to_async(report_media)(meeting, council.members[3], audio=False)
    vote = (await chair.call("vote.open", proposals=[proposal]))["result"]
    for s in [chair, *others[:3]]:
        assert (await s.call("vote.cast", vote=vote, choice="for"))["type"] == "ack"
    await chair.call("vote.close", vote=vote)
    await chair.call("doors.motion", ground=ClosureGround.PRIVACY, reason="helse")
    closure = (await chair.call("vote.open", kind="closure"))["result"]
    for s in [chair, *others[:3]]:
        await s.call("vote.cast", vote=closure, choice="for")
    await chair.call("vote.close", vote=closure)
    await others[1].call("floor.request")  # behind closed doors: the public document does not change
    await chair.call("floor.grant")
    await chair.call("doors.open")
    await chair.call("item.close", item_id=item.id)

    await watcher.fold()
    await viewer.fold()
    seq, live = await database_sync_to_async(server_state)(meeting.id, council.members[-1])
    assert watcher.seq == seq and watcher.state == live  # `allowed` folded from the personal patches too
    assert "question.ask" in live["allowed"] and "floor.request" not in live["allowed"]  # the item is closed
    assert watcher.reloads == 1 and watcher.patched == seq - start  # one state read, on connect; none per event
    doc = await database_sync_to_async(public_state.public_state_for)(meeting.id)
    assert viewer.seq == doc["seq"] == seq and viewer.state == doc
    assert viewer.reloads == 0 and viewer.patched > 10
    for s in [chair, *others, viewer_socket]:
        await s.close()


async def test_an_event_without_a_patch_makes_the_member_load_the_state_again(setup_meeting):
    council, meeting = setup_meeting
    chair = await member(meeting, council.chair)
    await chair.call("meeting.open")
    late = Socket(f"/ws/meetings/{meeting.id}/", await token_for(council.members[0]))
    assert (await late.connect())[0]
    await late.recv()
    watcher = Folding(late, public=False)
    await watcher.reload()
    await chair.call("member.join")
    # Events replayed by a sync come from the log and carry no patch: the client asks for the state.
    await late.call("sync", after=0)
    await watcher.fold()
    await chair.call("question.ask", text="Hva er klokka?")
    await watcher.fold()
    seq, live = await database_sync_to_async(server_state)(meeting.id, council.members[0])
    assert watcher.state == live and watcher.seq == seq
    assert watcher.reloads == 2 and watcher.patched == 1
    for s in (chair, late):
        await s.close()


async def test_the_ack_names_the_seq_the_command_wrote(setup_meeting):
    council, meeting = setup_meeting
    chair = await member(meeting, council.chair)
    r = await chair.call("meeting.open")
    seq, _ = await database_sync_to_async(server_state)(meeting.id)
    assert r["seq"] == seq
    r = await chair.call("member.join")
    await chair.drain()
    assert r["seq"] == seq + 1 == chair.events[-1]["seq"]
    assert chair.events[-1]["event"] == "member.joined"
    await chair.close()


@pytest.fixture
async def setup_meeting():
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    return council, meeting
