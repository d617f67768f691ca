"""The member socket as the media worker's mailbox: per-person group, `media.message` relay, and a
clear error when the media tier is missing."""

from __future__ import annotations

import sys

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from meetings import events
from tests.factories import make_council, make_meeting
from tests.live.conftest import Socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def connect_member():
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    user = council.members[0]
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(user))
    assert (await s.connect())[0]
    hello = await s.recv()
    return s, meeting, hello["person"]


async def test_it_relays_media_messages_sent_to_the_person_group():
    s, meeting, person = await connect_member()
    answer = {"type": "media.answer", "sdp": "v=0", "in_response": "m1"}
    await get_channel_layer().group_send(events.person_group(meeting.id, person),
                                         {"type": "media.message", "payload": answer})
    assert await s.recv() == answer
    await s.close()


async def test_it_answers_media_unavailable_when_the_media_tier_is_missing(monkeypatch):
    s, meeting, _ = await connect_member()
    monkeypatch.setitem(sys.modules, "meetings.media_worker", None)  # makes the import fail
    r = await s.call("media.leave")
    assert r["type"] == "error" and r["error"]["code"] == "media_unavailable"
    assert (await s.call("ping"))["type"] == "pong"
    await s.close()
