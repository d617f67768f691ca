"""The stream watchdog: a composer that stops producing public segments while the public should be
following is logged as `stream.state` down, with its reason, and up again when segments flow."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from livestream.health import STALL_SEGMENTS
from mediaworker.worker import live_state
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors, eventually
from tests.livestream.helpers import events_of

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_settings")]
SEGMENT = 0.5


async def stream_events(meeting_id: int) -> list[dict]:
    return [e.payload for e in await database_sync_to_async(events_of)(meeting_id, "stream.state")]


async def start_stream(streams, slug: str, settings):
    settings.LIVESTREAM_SEGMENT_SECONDS = SEGMENT
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug=slug)
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    seq, state = await live_state(meeting_id=meeting.id)
    streams.follow(meeting.id, state, None, set(), set(), seq=seq)
    composer = streams.composers[meeting.id]
    await eventually(lambda: len(list(composer.out_dir.glob("seg_*.ts"))) >= 2)
    return council, meeting, composer


async def test_it_logs_the_stream_down_when_the_composer_hangs_and_up_when_it_recovers(streams, settings):
    _, meeting, composer = await start_stream(streams, "wd", settings)
    assert await stream_events(meeting.id) == []  # healthy: nothing to log

    # The composer thread hangs (as on a stuck encoder call): it blocks on its own lock.
    composer._lock.acquire()
    hung_at = time.monotonic()
    try:
        await eventually(lambda: stream_events(meeting.id), timeout=STALL_SEGMENTS * SEGMENT + 8)
        noticed = time.monotonic() - hung_at
    finally:
        composer._lock.release()
    [down] = await stream_events(meeting.id)
    assert down["up"] is False and "stalled" in down["reason"], down
    assert noticed > (STALL_SEGMENTS - 1) * SEGMENT  # not on one late segment

    await eventually(lambda: logged(meeting.id, 2), timeout=10)
    down, up = await stream_events(meeting.id)
    assert up["up"] is True, up
    state = await database_sync_to_async(lambda: meeting.__class__.objects.get(id=meeting.id).live_state)()
    assert state["stream"]["up"] is True


async def logged(meeting_id: int, n: int) -> bool:
    return len(await stream_events(meeting_id)) >= n


async def test_it_logs_the_stream_down_when_the_composer_thread_dies(streams, settings):
    _, meeting, composer = await start_stream(streams, "wd2", settings)
    composer._stop.set()  # the thread ends; nothing restarts it
    await eventually(lambda: stream_events(meeting.id), timeout=STALL_SEGMENTS * SEGMENT + 8)
    [down] = await stream_events(meeting.id)
    assert down["up"] is False and "no public segment" in down["reason"]


async def test_it_logs_nothing_for_a_stall_behind_closed_doors(streams, settings):
    council, meeting, composer = await start_stream(streams, "wd3", settings)
    item = await database_sync_to_async(lambda: meeting.items.first())()
    await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
    await database_sync_to_async(close_doors)(council, meeting)
    seq, state = await live_state(meeting_id=meeting.id)
    streams.follow(meeting.id, state, None, set(), set(), seq=seq)
    assert composer.gate_closed
    composer._stop.set()
    await eventually(lambda: not composer._thread.is_alive())
    await asyncio.sleep(STALL_SEGMENTS * SEGMENT + 1.5)
    assert await stream_events(meeting.id) == []  # a lawful closure is not a stream failure
