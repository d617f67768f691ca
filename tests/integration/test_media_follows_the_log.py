"""Member media driven by the meeting log: real aiortc peers, the real media worker reached through
the channel layer, and the real services deciding the floor. Who hears and sees whom is measured
by FFT and colour of what each peer decodes."""

from __future__ import annotations

import asyncio
import time

import aioice.stun
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from meetings import media_worker
from meetings.models import Meeting
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.media.clients import Client

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_ice(monkeypatch, settings):
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)
    settings.MEDIA_IN_PROCESS = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def eventually(predicate, timeout=8.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


async def connect(meeting_id: int, person_id: int, client: Client) -> None:
    layer = get_channel_layer()
    reply = await layer.new_channel()
    await media_worker.submit(meeting_id=meeting_id, person_id=person_id, msg_type="media.offer",
                              payload=await client.offer(), reply_channel=reply, request_id="o1")
    message = await asyncio.wait_for(layer.receive(reply), 10)
    answer = message["payload"]
    assert answer["type"] == "media.answer" and answer["in_response"] == "o1", answer
    await client.accept({"sdp": answer["sdp"], "type": "answer"})


async def test_the_floor_in_the_log_decides_who_hears_and_sees_whom():
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="media")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    users = [council.chair, *council.members]  # tone/colour index 1 = chair, 2..4 = members
    pids = [await database_sync_to_async(council.pid)(u) for u in users]
    tone = {pid: i + 1 for i, pid in enumerate(pids)}
    clients = {pid: Client(tone[pid]) for pid in pids}
    worker_tasks = []
    try:
        media_worker.ensure_embedded_worker()
        worker_tasks = list(media_worker._embedded.values())
        for pid, client in clients.items():
            await connect(meeting.id, pid, client)
        chair, a, b, c = pids
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)

        # Nobody holds the floor: everyone hears and sees only the chair.
        await eventually(lambda: all(clients[p].heard() == {tone[chair]} for p in (a, b, c)))
        await eventually(lambda: all(tone[chair] in clients[p].seen() for p in (a, b, c)))

        # The chair gives member A the floor: everyone else hears A and the chair, B and C reach no one.
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=a)
        t0 = time.monotonic()
        await eventually(lambda: all(clients[p].heard(0.4) == {tone[a], tone[chair]} for p in (b, c)))
        switch_a = time.monotonic() - t0
        await eventually(lambda: clients[chair].heard(0.4) == {tone[a]})
        await eventually(lambda: {tone[a], tone[chair]} <= clients[b].seen(0.4))
        assert tone[b] not in clients[c].heard() and tone[c] not in clients[b].heard()

        # The floor moves to B: A stops reaching the others.
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=b)
        await eventually(lambda: clients[c].heard(0.4) == {tone[b], tone[chair]})
        await eventually(lambda: tone[a] not in clients[c].seen(0.3))
        assert switch_a < 2.0

        # B leaves the meeting: B's media stops everywhere.
        await database_sync_to_async(run)(council.members[1], meeting, "member.leave")
        await eventually(lambda: clients[c].heard(0.4) == {tone[chair]})

        # C's microphone dies: the media server notices and the log says C cannot be heard,
        # so C drops out of the item's quorum base (§ 11-7 (2), § 11-9).
        clients[c].tone.stop()
        def c_muted() -> bool:
            state = Meeting.objects.get(id=meeting.id).live_state
            return state["attendance"][str(c)]["media"]["sends_audio"] is False
        for _ in range(100):
            if await database_sync_to_async(c_muted)():
                break
            await asyncio.sleep(0.1)
        state = await database_sync_to_async(lambda: Meeting.objects.get(id=meeting.id).live_state)()
        assert state["attendance"][str(c)]["media"]["sends_audio"] is False
        assert str(c) not in state["items"][str(item.id)]["present_throughout"]
    finally:
        for client in clients.values():
            await client.close()
        for task in worker_tasks:
            task.cancel()
        media_worker._embedded.clear()
        from meetings.media import gateway
        await gateway.rooms.close_all()
