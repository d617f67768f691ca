"""Random messages thrown at a live meeting's sockets (hypothesis).

Each example gets a fresh meeting in session with four connections: the chair's socket and a public
socket that receive the random frames, and a member and a public viewer that only listen. Inside the
example (so that hypothesis shrinks a failure to the smallest batch of frames) it checks that every
frame gets exactly one reply and never `internal`; that both sockets still answer; that the log's hash
chain verifies and replaying it gives the stored live state; and that the listeners received every
event they may see, in order, exactly once, the public one only in its public form.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from meetings import projection
from meetings.commands import COMMANDS
from meetings.models import Meeting, MeetingEvent
from meetings.protocol import SESSION_TYPES
from meetings.services.log import event_record, log_verify
from tests.factories import Council, make_council, make_meeting, run, start_meeting
from tests.helpers import Socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)

# Ids around the database's 64-bit limits as well as small ones that name real rows.
edge_integers = st.sampled_from([0, 1, 2, 3, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 2**70])
integers = st.integers(-(2**70), 2**70) | edge_integers | st.integers(0, 40)
scalars = (st.none() | st.booleans() | integers | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=20) | st.sampled_from(["for", "against", "blank", "speech", "reply", "11-5-3-a",
                                                    "audio_only", "normal", "conflict_of_interest", "ordinary",
                                                    "closure", "election"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12) | integers.map(str), inner, max_size=4),
                           max_leaves=10)
# Media messages are answered asynchronously by the media worker; tests/conference fuzzes those.
known_types = st.sampled_from(sorted(set(COMMANDS) | SESSION_TYPES))
field_names = st.sampled_from(sorted({name for c in COMMANDS.values() for name in c.schema().fields}
                                     | {"after", "extra"}))
payloads = st.dictionaries(field_names, json_values, max_size=4)
envelopes = st.fixed_dictionaries(
    {"type": known_types | st.text(max_size=15)},
    optional={"id": integers | st.text(max_size=70) | st.none(), "payload": payloads | json_values})
random_frames = (envelopes.map(json.dumps) | st.text(min_size=1, max_size=60)
                 | json_values.map(json.dumps)).filter(bool)


# Well-formed commands reach the rules, not just the schema: their ids are references ({"$ref": kind,
# "i": n}) resolved to the example's real items and persons when the frame is sent.
def ref(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda i: {"$ref": kind, "i": i}, st.integers(0, 8))


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "item_id": ref("item"), "person_id": ref("person"), "for_member_id": ref("person"), "deputy_id": ref("person"),
    "reply_to": ref("person"), "vote": st.integers(1, 3), "proposal": st.integers(1, 3),
    "proposals": st.lists(st.integers(1, 3), max_size=2), "choice": st.sampled_from(["for", "against", "blank", "1"]),
    "kind": st.sampled_from(["speech", "reply", "ordinary", "election", "closure", "conflict_of_interest"]),
    "ground": st.sampled_from(["11-5-3-a", "11-5-3-b", "11-5-2-employee"]),
    "mode": st.sampled_from(["normal", "audio_only"]),
    "candidates": st.lists(st.sampled_from(["Ås", "Bø"]), max_size=2),
    "present": st.lists(ref("person"), max_size=3), "absent": st.dictionaries(st.sampled_from(["$0", "$1", "$5"]),
                                                                               st.just("sykdom"), max_size=2),
    "order": st.lists(st.fixed_dictionaries({"person": ref("person"), "kind": st.sampled_from(["speech", "reply"])}),
                      max_size=2),
    "objecting_person_ids": st.lists(ref("person"), max_size=2),
}


def command_frame(name: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = COMMANDS[name].schema().fields
    values = {f: FIELD_VALUES.get(f, st.booleans() if f in ("on", "elected", "defer", "recused", "chair_objects")
                                  else st.text(max_size=12)) for f in fields}
    return st.fixed_dictionaries({"type": st.just(name), "id": st.integers(0, 99)},
                                 optional={"payload": st.fixed_dictionaries({}, optional=values)})


# A valid opening of the meeting; each example first plays a random number of its steps, so that
# the random frames also meet an open item, the floor, a vote in progress and closed doors.
SCRIPT: list[dict[str, Any]] = [
    {"type": "item.open", "payload": {"item_id": {"$ref": "item", "i": 0}}},
    {"type": "floor.request", "payload": {}},
    {"type": "floor.grant", "payload": {}},
    {"type": "proposal.submit", "payload": {"text": "Saken utsettes."}},
    {"type": "vote.open", "payload": {}},
    {"type": "vote.cast", "payload": {"vote": 1, "choice": "for"}},
    {"type": "vote.close", "payload": {"vote": 1}},
    {"type": "doors.motion", "payload": {"ground": "11-5-3-a"}},
    {"type": "vote.open", "payload": {"kind": "closure"}},
    {"type": "vote.cast", "payload": {"vote": 2, "choice": "for"}},
    {"type": "vote.cast", "payload": {"vote": 2, "choice": "for"}, "by": "members"},  # for a quorum
    {"type": "vote.close", "payload": {"vote": 2}},
    {"type": "proposal.submit", "payload": {"text": "Forslag bak lukkede dører."}},
]

command_frames = st.sampled_from(sorted(COMMANDS)).flatmap(command_frame)
frames = st.one_of(command_frames, command_frames, random_frames)
REPLIES = {"ack", "error", "pong", "state"}


class Room:
    """One fresh meeting with its four connections, driven on a private event loop."""

    def __init__(self, council: Council, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.meeting = make_meeting(council)
        start_meeting(council, self.meeting)
        self.council = council
        self.item_ids = list(self.meeting.items.values_list("id", flat=True))
        people = [council.chair, *council.members, *council.deputies, council.clerk]
        self.person_ids = [council.pid(u) for u in people]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout=60))

    async def open(self) -> None:
        path = f"/ws/meetings/{self.meeting.id}/"
        self.chair = Socket(path, await token_for(self.council.chair))
        self.listener = Socket(path, await token_for(self.council.members[0]))
        self.public = Socket(f"/ws/public/meetings/{self.meeting.id}/")
        self.viewer = Socket(f"/ws/public/meetings/{self.meeting.id}/")
        for sock in (self.chair, self.listener, self.public, self.viewer):
            assert (await sock.connect())[0]
            await sock.recv()  # hello (members) or the public state document
        await self.listener.call("sync", after=0)
        self.viewer_from = self.viewer.others[0]["seq"]

    def resolve(self, frame: str | dict[str, Any]) -> str:
        if isinstance(frame, str):
            return frame

        def real(value: Any) -> Any:
            if isinstance(value, dict) and "$ref" in value:
                ids = self.item_ids if value["$ref"] == "item" else self.person_ids
                return ids[value["i"] % len(ids)]
            if isinstance(value, dict):
                return {(str(self.person_ids[int(k[1:]) % len(self.person_ids)]) if k.startswith("$") else k): real(v)
                        for k, v in value.items()}
            if isinstance(value, list):
                return [real(v) for v in value]
            return value

        return json.dumps(real(frame))

    async def close(self) -> None:
        for sock in (self.chair, self.listener, self.public, self.viewer):
            await sock.close()


async def reply_to(sock: Socket, frame: str) -> dict[str, Any]:
    await sock.comm.send_to(text_data=frame)
    while True:  # exactly one reply per frame; events may come in between
        try:
            msg = await sock.recv(timeout=10)
        except TimeoutError:
            raise AssertionError(f"no reply to {frame!r}") from None
        if msg["type"] != "event":
            return msg


def check_reply(frame: str, msg: dict[str, Any]) -> None:
    assert msg["type"] in REPLIES, (frame, msg)
    event(f"reply {msg['type']} {msg.get('error', {}).get('code', '')}".strip())  # --hypothesis-show-statistics
    if msg["type"] == "error":
        assert msg["error"]["code"] and msg["error"]["message"], (frame, msg)
        assert msg["error"]["code"] != "internal", (frame, msg)


@database_sync_to_async
def stored_log(meeting_id: int) -> tuple[list[MeetingEvent], dict[str, Any]]:
    return (list(MeetingEvent.objects.filter(meeting_id=meeting_id).order_by("seq")),
            Meeting.objects.get(id=meeting_id).live_state)


async def receive_up_to(sock: Socket, seq: int) -> None:
    """Read until the event `seq` has arrived (broadcasts run after commit, a moment after the ack)."""
    while seq and not (sock.events and sock.events[-1]["seq"] >= seq):
        try:
            await sock.recv(timeout=10)
        except TimeoutError:
            raise AssertionError(f"event {seq} never arrived") from None


async def check_meeting(room: Room) -> None:
    for sock in (room.chair, room.public, room.listener, room.viewer):
        assert (await sock.call("ping"))["type"] == "pong"
    log, live_state = await stored_log(room.meeting.id)
    public = [e for e in log if e.public_payload is not None and e.seq > room.viewer_from]
    await receive_up_to(room.listener, log[-1].seq)
    await receive_up_to(room.viewer, public[-1].seq if public else 0)
    assert await database_sync_to_async(log_verify)(meeting_id=room.meeting.id) == len(log)
    assert projection.replay(event_record(e) for e in log) == live_state

    # The listening member saw the whole log, in order, exactly once.
    assert [e["seq"] for e in room.listener.events] == [e.seq for e in log]
    assert [(e["event"], e["payload"]) for e in room.listener.events] == [(e.type, e.payload) for e in log]
    # The listening viewer saw every later public event, in order, exactly once, in public form only.
    assert [e["seq"] for e in room.viewer.events] == [e.seq for e in public]
    assert [e["payload"] for e in room.viewer.events] == [e.public_payload for e in public]
    assert all("actor" not in e for e in room.viewer.events)


@pytest.fixture
def council(settings_fixture):
    return make_council(slug="fuzz")


@pytest.fixture
def settings_fixture(settings):
    settings.WS_RATE_BURST = 100_000  # flooding is tested on its own; here every frame must reach a handler
    return settings


def test_it_survives_random_messages_with_the_log_valid_and_every_client_in_step(council):
    runner = asyncio.Runner()  # closing it cancels what still runs, such as the embedded media worker
    loop = runner.get_loop()

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(opening=st.sampled_from(range(len(SCRIPT) + 1)), to_chair=st.lists(frames, min_size=1, max_size=12),
           to_public=st.lists(frames, max_size=3))
    def example(opening: int, to_chair: list[str | dict[str, Any]], to_public: list[str | dict[str, Any]]) -> None:
        room = Room(council, loop)

        async def go() -> None:
            await room.open()
            try:
                for step in SCRIPT[:opening]:
                    if step.get("by") == "members":
                        for user in council.members[:3]:
                            await database_sync_to_async(run)(user, room.meeting, step["type"], **step["payload"])
                        continue
                    r = await reply_to(room.chair, room.resolve(step))
                    assert r["type"] == "ack", (step, r)
                for frame in map(room.resolve, to_chair):
                    check_reply(frame, await reply_to(room.chair, frame))
                for frame in map(room.resolve, to_public):
                    msg = await reply_to(room.public, frame)
                    check_reply(frame, msg)
                    if msg["type"] == "error" and msg["error"]["code"] == "forbidden":
                        assert json.loads(frame)["type"] not in SESSION_TYPES
                await check_meeting(room)
            finally:
                await room.close()

        room.run(go())

    try:
        example()
    finally:
        runner.close()


def test_it_plays_a_scripted_meeting_through_the_same_checks(council):
    # A known-good path through the protocol, so the checks above are seen to pass on real traffic.
    runner = asyncio.Runner()  # closing it cancels what still runs, such as the embedded media worker
    loop = runner.get_loop()
    room = Room(council, loop)
    item = room.meeting.items.first()

    async def go() -> None:
        await room.open()
        try:
            for type, payload in [("item.open", {"item_id": item.id}), ("proposal.submit", {"text": "Utsettes."}),
                                  ("vote.open", {}), ("vote.cast", {"vote": 1, "choice": "for"}),
                                  ("vote.close", {"vote": 1}), ("doors.motion", {"ground": "11-5-3-a"})]:
                r = await room.chair.call(type, **payload)
                assert r["type"] == "ack", (type, r)
            await check_meeting(room)
            assert {e["event"] for e in room.viewer.events} >= {"item.opened", "vote.closed", "doors.motion"}
        finally:
            await room.close()

    try:
        room.run(go())
    finally:
        runner.close()
