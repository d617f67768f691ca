"""Random messages thrown at a live member connection: every one gets a reply, the connection and
the meeting go on, and the log stays valid."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, strategies as st
from hypothesis import settings as hypothesis_settings

from meetings.commands import COMMANDS
from meetings.protocol import SESSION_TYPES
from meetings.services.log import log_verify
from tests.factories import make_council, make_meeting, start_meeting
from tests.live.conftest import Socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Media messages are answered asynchronously by the media worker; tests/media fuzzes those.
known_types = st.sampled_from(sorted(set(COMMANDS) | SESSION_TYPES))
field_names = st.sampled_from(["vote", "choice", "item_id", "person_id", "text", "kind", "after", "ground",
                               "proposals", "candidates", "on", "order", "present", "absent", "reason"])
payloads = st.dictionaries(field_names, json_values, max_size=4)
envelopes = st.fixed_dictionaries({"type": known_types | st.text(max_size=15), "id": st.integers(0, 10**6),
                                   "payload": payloads | json_values})
frames = (envelopes.map(json.dumps) | st.text(min_size=1, max_size=60) | json_values.map(json.dumps)).filter(bool)


@pytest.fixture
async def chair_socket(settings):
    settings.WS_RATE_BURST = 100_000  # flooding is tested on its own; here every frame must reach a handler
    council = await database_sync_to_async(make_council)(slug="fuzz")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(council.chair))
    assert (await s.connect())[0]
    await s.recv()
    yield s, meeting
    await s.close()


async def test_random_messages_never_break_the_connection_or_the_log(chair_socket):
    sock, meeting = chair_socket

    @hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames, min_size=1, max_size=5))
    def run(batch):
        # hypothesis drives a sync function; each example runs on the test's event loop.
        for frame in batch:
            replies.append((frame, frame))
            pending.append(frame)

    replies: list = []
    pending: list[str] = []
    run()
    for frame in pending:
        await sock.comm.send_to(text_data=frame)
        while True:  # one reply per frame; events may come in between
            try:
                msg = await sock.recv(timeout=5)
            except TimeoutError:
                raise AssertionError(f"no reply to {frame!r}") from None
            if msg["type"] != "event":
                break
        assert msg["type"] in ("ack", "error", "pong", "state"), msg
        if msg["type"] == "error":
            assert msg["error"]["code"] and msg["error"]["message"]
            assert msg["error"]["code"] != "internal", (frame, msg)
    pong = await sock.call("ping")
    assert pong["type"] == "pong"
    assert await database_sync_to_async(log_verify)(meeting_id=meeting.id) >= 1
