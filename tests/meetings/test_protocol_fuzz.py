"""Random messages thrown at a live meeting's sockets (hypothesis).

Each example gets a fresh meeting in session with four connections: the chair's socket and a public
socket that receive the random frames, and a member and a public viewer that only listen. Inside the
example (so that hypothesis shrinks a failure to the smallest batch of frames) it checks that every
frame gets exactly one reply and never `internal`; that both sockets still answer; that the log's hash
chain verifies and replaying it gives the stored live state; and that the listeners received every
event they may see, in order, exactly once, the public one only in its public form.

The frame level (second half) does the same through a real server and a real client: messages
around each size limit, text that is not UTF-8, binary frames, broken frames, deep nesting, floods,
refused handshakes and unknown paths, each answered or closed as docs/protocol.md says, with the
meeting unharmed and no traceback in the server's log; the last test draws random such messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from meetings import projection
from meetings.commands import COMMANDS
from meetings.models import Meeting, MeetingEvent
from meetings.protocol import SESSION_TYPES
from meetings.services.log import event_record, log_verify
from meetings.services.tokens import token_create
from tests.factories import Council, make_council, make_meeting, make_user, run, start_meeting
from tests.helpers import Socket, examples, free_port, token_for, wait_for_port

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

    @settings(max_examples=examples(80), deadline=None, suppress_health_check=list(HealthCheck), database=None)
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


# The frame level. Sizes, encodings, frame kinds, nesting and floods are what a real web server
# and a real client make of them, so these tests run one server for the module, started as every
# deployment starts it (`python -m config.server`), on the tests' own database (their rows are
# committed), and speak to it with a real WebSocket client over loopback. Each test ends by checking
# that the meeting was not harmed: a member's socket that only listened still follows the meeting
# live, the log verifies and replays to the stored state, and the server's log holds no traceback.

LIMIT = django_settings.WS_MAX_MESSAGE_BYTES
TRANSPORT = django_settings.WS_TRANSPORT_MAX_BYTES
BURST = 40
ORIGIN_URL = "http://127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
# Not UTF-8: a stray continuation byte, an overlong "/", an encoded surrogate, a code point above
# U+10FFFF, 0xFF, and a sequence cut off at the end of the frame.
INVALID_UTF8 = [b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff", b"\xc3"]


def database_env() -> dict[str, str]:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": db["NAME"]}
    return {"DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}


@dataclass
class Server:
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def mark(self) -> int:
        return self.log.stat().st_size

    def errors_since(self, mark: int) -> list[str]:
        text = self.log.read_bytes()[mark:].decode("utf-8", "replace")
        return [line for line in text.splitlines()
                if any(word in line for word in ("Traceback", "Exception inside application", "Internal server error"))]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "SQLITE_TEST_PATH", "DJANGO_SETTINGS_MODULE")}
    env.update(database_env(), DEBUG="1", ALLOWED_HOSTS="127.0.0.1", LIVESTREAM_ENABLED="0", MEDIA_WORKERS="0",
               PYTHONUNBUFFERED="1", WS_MAX_MESSAGE_BYTES=str(LIMIT), WS_TRANSPORT_MAX_BYTES=str(TRANSPORT),
               # A slow refill, so that a flood's replies do not depend on how fast the machine is.
               WS_RATE_BURST=str(BURST), WS_RATE_PER_SECOND="1")
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port),
                                 "asgi:application"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        yield Server(port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        print(f"--- server log:\n{log.read_text(errors='replace')[-4000:]}")  # shown when a test failed


def masked_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    """One WebSocket frame as a client puts it on the wire (RFC 6455 § 5.2), for what a client
    library refuses to send: text that is not UTF-8, reserved opcodes, unmasked frames."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    key = os.urandom(4)
    mask = (key * (n // 4 + 1))[:n]
    return head + key + (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")


class Client:
    """A real WebSocket client (the `websockets` library) on the server."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.first: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, server: Server, path: str, **headers: str) -> Client:
        ws = await connect(server.url(path), origin=ORIGIN_URL, compression=None, proxy=None, max_size=None,
                           additional_headers=headers or None, open_timeout=10)
        return cls(ws)

    @classmethod
    async def member(cls, server: Server, room: LiveRoom, user: Any) -> Client:
        client = await cls.open(server, f"/ws/meetings/{room.meeting.id}/?token={room.tokens[user.username]}")
        client.first = await client.next()
        assert client.first["type"] == "hello", client.first
        return client

    @classmethod
    async def viewer(cls, server: Server, room: LiveRoom) -> Client:
        client = await cls.open(server, f"/ws/public/meetings/{room.meeting.id}/")
        client.first = await client.next()
        assert client.first["type"] == "state", client.first
        return client

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        if msg["type"] == "event":
            self.events.append(msg)
        return msg

    async def reply(self, frame: str | bytes | list[str] | None = None, *, raw: bytes | None = None) -> dict[str, Any]:
        """Send one message (a list: its fragments; `raw`: bytes as they are) and read its one reply."""
        if raw is not None:
            self.ws.transport.write(raw)
        else:
            await self.ws.send(frame)
        while True:
            msg = await self.next()
            if msg["type"] != "event":
                return msg

    async def call(self, type: str, id: Any = "c", **payload: Any) -> dict[str, Any]:
        return await self.reply(json.dumps({"type": type, "id": id, "payload": payload}))

    async def close_code(self, frame: str | bytes | list[str] | None = None, *, raw: bytes | None = None) -> int:
        """Send (if anything) and read until the server closes; its close code, 1006 if it sent none."""
        try:
            if raw is not None:
                self.ws.transport.write(raw)
            elif frame is not None:
                # The server may close (1009) while a large frame is still going out: then the
                # send itself raises, carrying the close the server sent.
                await self.ws.send(frame)
            while True:
                msg = await self.next()
                assert msg["type"] == "event", f"a reply instead of a close: {msg}"
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else 1006

    async def close(self) -> None:
        await self.ws.close()


@dataclass
class LiveRoom:
    council: Council
    meeting: Meeting
    tokens: dict[str, str]


@pytest.fixture
def room() -> LiveRoom:
    # Small: the tests attack the sockets, not the procedure, and every row costs a commit.
    council = make_council(slug="frames", seats=3, deputies=1)
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting, join_all=False)
    outsider = make_user("outsider", "Ikke Medlem")  # logged in, of no body
    tokens = {u.username: token_create(user=u, label="fuzz")[1]
              for u in [council.chair, *council.members, *council.deputies, outsider]}
    return LiveRoom(council, meeting, tokens)


class Watch:
    """A member and a public viewer that only listen while a test attacks, then prove they were not harmed."""

    def __init__(self, server: Server, room: LiveRoom) -> None:
        self.server, self.room, self.mark = server, room, server.mark()

    async def __aenter__(self) -> Watch:
        self.listener = await Client.member(self.server, self.room, self.room.council.members[0])
        assert (await self.listener.call("sync", after=0))["type"] == "ack"
        self.viewer = await Client.viewer(self.server, self.room)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if exc[0] is None:
            await self.check()
        for client in (self.listener, self.viewer):
            await client.close()

    async def check(self) -> None:
        chair = await Client.member(self.server, self.room, self.room.council.chair)
        item = await database_sync_to_async(lambda: self.room.meeting.items.first().id)()
        ack = await chair.call("item.open", item_id=item)
        assert ack["type"] == "ack", ack
        await chair.close()
        for client in (self.listener, self.viewer):  # the new event arrives live, in order
            while not (client.events and client.events[-1]["seq"] >= ack["seq"]):
                await client.next()
            assert client.events[-1]["event"] == "item.opened"
            assert (await client.call("ping", id="still"))["type"] == "pong"
        log, live_state = await stored_log(self.room.meeting.id)
        assert [e["seq"] for e in self.listener.events] == [e.seq for e in log]
        assert await database_sync_to_async(log_verify)(meeting_id=self.room.meeting.id) == len(log)
        assert projection.replay(event_record(e) for e in log) == live_state
        assert self.server.errors_since(self.mark) == []


def sized(size: int, fill: str = " ") -> str:
    """A ping of exactly `size` bytes of UTF-8: the envelope, then `fill` in its payload, then spaces."""
    base = '{"type":"ping","id":"s","payload":{"x":""}}'
    unit = len(fill.encode())
    count = max(0, size - len(base)) // unit
    text = base[:-3] + fill * count + base[-3:]
    return text + " " * (size - len(text.encode()))


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


async def test_it_answers_too_large_up_to_the_transport_limit_and_keeps_the_connection(server, room):
    async with Watch(server, room):
        public = await Client.viewer(server, room)
        member = await Client.member(server, room, room.council.members[1])
        for client in (public, member):
            for size, fill in [(LIMIT - 1, " "), (LIMIT, " "), (LIMIT, "ø"), (LIMIT - 1, "😀")]:
                frame = sized(size, fill)
                assert len(frame.encode()) == size
                assert (await client.reply(frame))["type"] == "pong", (size, fill)
            # The limit counts bytes of UTF-8, not characters.
            for frame in [sized(LIMIT + 1), sized(LIMIT + 1, "ø"), sized(TRANSPORT), sized(TRANSPORT, "€"),
                          [sized(LIMIT)[:LIMIT // 2], sized(LIMIT)[LIMIT // 2:] + " "]]:  # fragments count together
                reply = await client.reply(frame)
                assert reply["type"] == "error" and reply["error"]["code"] == "too_large", reply
                assert reply["in_response"] is None  # not read, so its id is not known
            assert (await client.call("ping"))["type"] == "pong"  # the connection stays open
            await client.close()


async def test_it_closes_with_1009_a_message_over_the_transport_limit(server, room):
    async with Watch(server, room):
        for frame in [sized(TRANSPORT + 1), "x" * (8 * TRANSPORT),
                      [sized(TRANSPORT)[: TRANSPORT // 2], sized(TRANSPORT)[TRANSPORT // 2:], " "]]:
            for client in (await Client.viewer(server, room), await Client.member(server, room, room.council.chair)):
                assert await client.close_code(frame) == 1009
        # A binary frame too: the transport refuses it before anyone looks at its kind.
        client = await Client.viewer(server, room)
        assert await client.close_code(b"\x00" * (TRANSPORT + 1)) == 1009


async def test_it_closes_with_1007_a_text_frame_that_is_not_utf8(server, room):
    async with Watch(server, room):
        for bad in INVALID_UTF8:
            for path in (f"/ws/public/meetings/{room.meeting.id}/",
                         f"/ws/meetings/{room.meeting.id}/?token={room.tokens[room.council.chair.username]}"):
                client = await Client.open(server, path)
                await client.next()
                assert await client.close_code(raw=masked_frame(0x1, b'{"type":"ping","id":"' + bad + b'"}')) == 1007
                # Split across fragments, and at the very end of a message.
                client = await Client.open(server, path)
                await client.next()
                frames = masked_frame(0x1, b'{"type":"ping","id":"', fin=False) + masked_frame(0x0, bad + b'"}')
                assert await client.close_code(raw=frames) == 1007
            client = await Client.viewer(server, room)
            assert await client.close_code(raw=masked_frame(0x1, b'{"type":"ping"}' + bad)) == 1007


async def test_it_answers_a_binary_frame_with_binary_not_supported(server, room):
    async with Watch(server, room):
        for client in (await Client.viewer(server, room), await Client.member(server, room, room.council.chair)):
            for frame in [b"\x00\x01", b'{"type": "ping", "id": "b"}', b"\xff" * LIMIT, b"x" * TRANSPORT]:
                reply = await client.reply(frame)
                assert reply["type"] == "error" and reply["error"]["code"] == "binary_not_supported", reply
            # An empty binary frame, which a client library will not send.
            reply = await client.reply(raw=masked_frame(0x2, b""))
            assert reply["error"]["code"] == "binary_not_supported", reply
            assert (await client.call("ping"))["type"] == "pong"
            await client.close()


async def test_it_closes_with_1002_a_frame_that_breaks_the_protocol(server, room):
    async with Watch(server, room):
        for raw in [masked_frame(0x3, b""),  # a reserved opcode
                    masked_frame(0x1, b'{"type":"ping"}', masked=False),  # a client frame must be masked
                    masked_frame(0x0, b"x")]:  # a continuation with nothing to continue
            client = await Client.viewer(server, room)
            assert await client.close_code(raw=raw) == 1002


async def test_it_refuses_a_socket_with_a_close_code_a_real_client_can_read(server, room):
    async with Watch(server, room):
        meeting, tokens = room.meeting.id, room.tokens
        draft = await database_sync_to_async(make_meeting)(room.council, publish=False)
        for path, code in [(f"/ws/meetings/{meeting}/", 4401),
                           (f"/ws/meetings/{meeting}/?token=not-a-token", 4401),
                           (f"/ws/meetings/{meeting}/?token={tokens['outsider']}", 4403),
                           (f"/ws/meetings/{meeting}/?token={tokens['frames-d1']}", 4403),  # a deputy not summoned
                           (f"/ws/meetings/999999/?token={tokens['frames-chair']}", 4404),
                           (f"/ws/meetings/{draft.id}/?token={tokens['frames-chair']}", 4404),
                           ("/ws/public/meetings/999999/", 4404), (f"/ws/public/meetings/{draft.id}/", 4404)]:
            client = await Client.open(server, path)  # the handshake succeeds: no HTTP 403
            assert await client.close_code() == code, path
        # The header, as well as the query string.
        client = await Client.open(server, f"/ws/meetings/{meeting}/", Authorization=f"Token {tokens['outsider']}")
        assert await client.close_code() == 4403


UNKNOWN_PATHS = ["/ws/meetings/-1/", "/ws/meetings/0/", "/ws/meetings/abc/", "/ws/meetings/%2e%2e/",
                 "/ws/meetings/%D9%A3/", "/ws/meetings/" + "9" * 40 + "/", f"/ws/meetings/{2**63}/",
                 "/ws/meetings/%ff/", "/ws/public/meetings/1.5/", "/ws/meetings/1/extra/", "/ws/nothing/", "/",
                 "/ws/meetings/1", "/static/frontend/live.js"]


async def test_it_closes_a_path_that_names_no_socket_with_4404(server, room):
    async with Watch(server, room):
        for path in UNKNOWN_PATHS:
            client = await Client.open(server, path + f"?token={room.tokens['frames-chair']}")
            assert await client.close_code() == 4404, path
        # A root path the path does not start with (a client sets it itself with daphne's header)
        # is ignored, as Django's HTTP handler ignores it.
        client = await Client.open(server, f"/ws/public/meetings/{room.meeting.id}/", **{"Daphne-Root-Path": "/x"})
        assert (await client.next())["type"] == "state"
        await client.close()
        client = await Client.open(server, "/ws/nothing/", **{"Daphne-Root-Path": "%ff\xff"})
        assert await client.close_code() == 4404


async def test_it_refuses_a_handshake_with_a_subprotocol_that_is_not_ascii_with_400(server, room):
    async with Watch(server, room):
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server, f"/ws/public/meetings/{room.meeting.id}/", **{"Sec-WebSocket-Protocol": "\xff"})
        assert refused.value.response.status_code == 400


async def test_it_answers_deep_nesting_and_unpaired_surrogates_with_malformed_json(server, room):
    async with Watch(server, room):
        inner = LIMIT // 2 - 100  # as deep as fits into a message under the limit
        for client in (await Client.viewer(server, room), await Client.member(server, room, room.council.chair)):
            for frame in [nested(inner), nested(inner // 5, '{"a":', "}"),
                          '{"type":"ping","id":"n","payload":{"x":' + nested(inner - 40) + "}}",
                          '{"type":"ping","id":"\\ud800"}', '{"type":"ping","id":"x\\udfff"}',
                          '{"type":"question.ask","id":"q","payload":{"text":"a\\udc00b"}}',
                          '{"type":"ping","id":' + "1" * 5000 + "}"]:  # more digits than Python converts
                reply = await client.reply(frame)
                assert reply["type"] == "error" and reply["error"]["code"] == "malformed_json", (frame[:60], reply)
            # 100 000 nested arrays are over the size limit before anyone parses them.
            assert (await client.reply(nested(100_000)))["error"]["code"] == "too_large"
            # Nesting the parser accepts is refused by the payload's schema, not by a crash.
            reply = await client.reply('{"type":"question.ask","id":"d","payload":{"text":' + nested(500) + "}}")
            assert reply["error"]["code"] in ("invalid_input", "forbidden"), reply
            # A surrogate pair is a character: only an unpaired surrogate is refused.
            pair = await client.reply('{"type":"ping","id":"\\ud83d\\ude00"}')
            assert pair == {"type": "pong", "in_response": "😀"}
            await client.close()


async def test_a_flood_is_dropped_frame_by_frame_naming_each_request_and_slows_only_the_flooder(server, room):
    async with Watch(server, room) as watch:
        flooder = await Client.member(server, room, room.council.chair)
        frames: list[tuple[str | bytes, Any]] = []
        for i in range(3 * BURST):
            frames.append((json.dumps({"type": "ping", "id": i}), i))
        frames[BURST + 1] = ("not json", None)  # dropped too, with null: its id cannot be read
        frames[BURST + 2] = (b"\x00", None)
        frames[BURST + 3] = (json.dumps({"type": "no.such", "id": "u"}), "u")  # dropped, named
        for frame, _ in frames:
            await flooder.ws.send(frame)
        # Meanwhile another member's socket answers at once: each connection has its own bucket.
        assert (await watch.listener.call("ping", id="other"))["type"] == "pong"
        replies = [await flooder.next() for _ in frames]
        assert [r.get("in_response") for r in replies] == [rid for _, rid in frames]  # one reply each, in order
        codes = [r["type"] if r["type"] == "pong" else r["error"]["code"] for r in replies]
        assert codes[:BURST] == ["pong"] * BURST
        # Past the burst a frame is dropped, unless a token came back meanwhile (one a second).
        own = {BURST + 1: "malformed_json", BURST + 2: "binary_not_supported", BURST + 3: "unknown_type"}
        assert all(code in ("rate_limited", own.get(i, "pong")) for i, code in enumerate(codes[BURST:], BURST)), codes
        assert codes[BURST:].count("rate_limited") >= len(frames) - BURST - 5
        await flooder.close()


@dataclass(frozen=True)
class Hostile:
    """One message as a client puts it on the wire: its frames' payloads, text or binary."""

    fragments: tuple[bytes, ...]
    binary: bool = False

    def wire(self) -> bytes:
        last = len(self.fragments) - 1
        return b"".join(masked_frame((0x2 if self.binary else 0x1) if i == 0 else 0x0, part, fin=i == last)
                        for i, part in enumerate(self.fragments))

    def promise(self) -> tuple[str, Any]:
        """What docs/protocol.md promises for it: ("close", code), ("error", code) or ("reply", None),
        a reply of its own that is never `internal`."""
        data = b"".join(self.fragments)
        if len(data) > TRANSPORT:
            return "close", 1009
        if self.binary:
            return "error", "binary_not_supported"
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return "close", 1007
        if len(data) > LIMIT:
            return "error", "too_large"
        return "reply", None


def split(data: bytes, cuts: list[int]) -> tuple[bytes, ...]:
    """`data` in fragments cut at the given offsets (anywhere, even inside a character: RFC 6455
    validates a text message's UTF-8 as a whole)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    return tuple(data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True))


def not_utf8(size: int, bad: bytes, at: int) -> bytes:
    """A ping of about `size` bytes with `bad` at offset `at`, no larger than the transport reads (a
    larger message is refused for its size first)."""
    data = sized(min(size, TRANSPORT - len(bad))).encode()
    at %= len(data) + 1
    return data[:at] + bad + data[at:]


# Around each limit, and small.
sizes = st.sampled_from([LIMIT - 1, LIMIT, LIMIT + 1, TRANSPORT - 1, TRANSPORT, TRANSPORT + 1]) | st.integers(0, 300)
fills = st.sampled_from([" ", "a", "ø", "€", "😀"])
payloads_on_the_wire = st.one_of(
    st.builds(lambda size, fill: sized(size, fill).encode(), sizes, fills),
    st.builds(not_utf8, sizes, st.sampled_from(INVALID_UTF8), st.integers(0, 2**21)),
    st.builds(lambda depth, kind: nested(depth, *kind).encode(), st.integers(1, 40_000),
              st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"type":"ping","payload":{"x":', "}}")])),
    st.text(max_size=80).map(str.encode),
    st.binary(max_size=80),
    # JSON that is rarely an envelope: a random command could end the meeting the watchers check.
    json_values.map(json.dumps).map(str.encode),
    st.builds(lambda size: b"\x00" * size, sizes),
)
hostile = st.builds(lambda data, cuts, binary: Hostile(split(data, cuts), binary), payloads_on_the_wire,
                    st.lists(st.integers(0, 2**21), max_size=3), st.booleans() | st.just(False))


def test_it_keeps_the_protocol_promises_for_random_frames_on_the_wire(server, room):
    runner = asyncio.Runner()  # one loop for every example: the watching sockets live across them
    loop = runner.get_loop()
    chair = f"/ws/meetings/{room.meeting.id}/?token={room.tokens[room.council.chair.username]}"
    public = f"/ws/public/meetings/{room.meeting.id}/"

    @settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(messages=st.lists(hostile, min_size=1, max_size=5), member=st.booleans())
    def example(messages: list[Hostile], member: bool) -> None:
        async def go() -> None:
            client = None
            for message in messages:
                if client is None:
                    client = await Client.open(server, chair if member else public)
                    await client.next()  # hello, or the public state document
                kind, expected = message.promise()
                event(f"frame {kind} {expected}")
                if kind == "close":
                    assert await client.close_code(raw=message.wire()) == expected, message.promise()
                    client = None
                    continue
                reply = await client.reply(raw=message.wire())
                assert reply["type"] in REPLIES, reply
                if kind == "error":
                    assert reply["type"] == "error" and reply["error"]["code"] == expected, reply
                else:
                    assert reply.get("error", {}).get("code") != "internal", reply
            if client is not None:
                assert (await client.call("ping", id="after"))["type"] == "pong"
                await client.close()

        loop.run_until_complete(asyncio.wait_for(go(), timeout=60))

    watch = Watch(server, room)
    try:
        loop.run_until_complete(watch.__aenter__())
        example()
        loop.run_until_complete(watch.__aexit__(None, None, None))
    finally:
        runner.close()
