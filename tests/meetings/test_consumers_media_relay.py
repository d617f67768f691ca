"""The member socket as the media worker's mailbox: per-person group, `media.message` relay, and a
clear error when the media tier is missing."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from meetings import events
from tests.factories import make_council, make_meeting
from tests.helpers import Socket, token_for

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


async def test_it_answers_media_unavailable_when_the_media_tier_is_missing(settings):
    s, meeting, _ = await connect_member()
    settings.MEDIA_WORKERS = 0  # this server runs no member media
    r = await s.call("media.leave")
    assert r["type"] == "error" and r["error"]["code"] == "media_unavailable"
    assert (await s.call("ping"))["type"] == "pong"
    await s.close()


@pytest.mark.media
async def test_it_keeps_a_members_media_flowing_across_a_socket_reconnect(media_in_process):
    """The media worker owns the peer connection, not the consumer: closing the member's socket and
    opening a new one neither interrupts what others hear from them nor what they receive."""
    import asyncio
    import time

    from meetings.models import MeetingEvent
    from tests.conference.clients import Client
    from tests.factories import run, start_meeting
    from tests.mediaworker.helpers import EmbeddedMedia

    council = await database_sync_to_async(make_council)(seats=3, deputies=0, slug="reconn")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    member = council.members[0]
    chair_id, member_id = [await database_sync_to_async(council.pid)(u) for u in (council.chair, member)]
    await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=member_id)
    chair, speaker = Client(1, video=False), Client(2)
    socket = Socket(f"/ws/meetings/{meeting.id}/", await token_for(member))
    async with EmbeddedMedia() as media:
        media.clients.append(speaker)  # connected through the member socket below
        await media.connect(meeting.id, chair_id, chair)
        try:
            assert (await socket.connect())[0]
            await socket.recv()  # hello
            answer = await socket.reply(await socket.send("media.offer", await speaker.offer()), timeout=10)
            assert answer["type"] == "media.answer", answer
            await speaker.accept({"sdp": answer["sdp"], "type": "answer"})
            deadline = time.monotonic() + 10
            while not (chair.heard(0.4) == {2} and 2 in chair.seen(0.4) and speaker.heard(0.4) == {1}):
                assert time.monotonic() < deadline, "media never flowed"
                await asyncio.sleep(0.1)

            await socket.close()  # the member's browser loses its socket ...
            gap_start = time.monotonic()
            # ... and the call goes on without it. Watched for longer than the window: media that
            # stopped would leave the window empty. A 1 s window rides out a moment's stall of a busy
            # machine's event loop, which a 0.4 s one did not (a CI run saw it empty once).
            while time.monotonic() - gap_start < 2.5:
                assert chair.heard(1.0) == {2} and 2 in chair.seen(1.0), "media stopped with the socket"
                assert speaker.heard(1.0) == {1}
                await asyncio.sleep(0.2)

            socket = Socket(f"/ws/meetings/{meeting.id}/", await token_for(member))
            assert (await socket.connect())[0]
            await socket.recv()  # hello
            # The worker still has the member's peer: a media message on the new socket finds it.
            reply = await socket.call("media.audio_only", on=False)
            assert reply == {"type": "media.audio_only", "on": False, "in_response": reply["in_response"]}, reply
            assert chair.heard(1.0) == {2} and 2 in chair.seen(1.0) and speaker.heard(1.0) == {1}
            assert speaker.pc.connectionState == "connected"
            lost = await database_sync_to_async(lambda: [
                e.payload for e in MeetingEvent.objects.filter(meeting=meeting, type="member.media")
                if e.payload["person"] == member_id
                and not all(e.payload.get(k, True) for k in ("sends_audio", "sends_video", "receives"))])()
            assert lost == []  # nothing measured as lost: the log never saw a gap
        finally:
            await socket.close()
