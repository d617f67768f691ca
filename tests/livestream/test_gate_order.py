"""The public gate follows the log's order: a live state read before the doors closed must never
reopen the gate that the doors.closed event already shut (§ 11-5 (3), the legal core)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

import mediaworker.worker
from livestream.composer import Composer
from meetings.models import Meeting
from tests.factories import Council, meeting_with_item_open, run
from tests.helpers import close_doors
from tests.livestream.helpers import Captured

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_settings")]


async def streaming_meeting(slug: str, streams) -> tuple[Council, Meeting, mediaworker.worker.MediaWorker, Composer]:
    """A meeting in session with an item open, whose media worker follows it and streams it publicly."""
    council, meeting = await database_sync_to_async(meeting_with_item_open)(slug=slug)
    worker = mediaworker.worker.MediaWorker("media.w0")
    await worker._refresh_routing(meeting.id)
    return council, meeting, worker, streams.composers[meeting.id]


async def test_it_keeps_the_gate_closed_when_a_refresh_read_the_state_before_doors_closed(monkeypatch, streams):
    council, meeting, worker, composer = await streaming_meeting("gate", streams)
    assert composer.gate_closed is False

    # A refresh (as _watch_publishers makes when a member's tracks arrive) reads the live state
    # while the doors are still open, and is slow to get on with it.
    real_read = mediaworker.worker.live_state
    read_done, go_on = asyncio.Event(), asyncio.Event()

    async def slow_read(*, meeting_id: int):
        result = await real_read(meeting_id=meeting_id)
        read_done.set()
        await go_on.wait()
        return result

    monkeypatch.setattr(mediaworker.worker, "live_state", slow_read)

    async def stale_refresh() -> None:
        async with worker._lock(meeting.id):
            await worker._refresh_routing(meeting.id)

    refresh = asyncio.ensure_future(stale_refresh())
    await asyncio.wait_for(read_done.wait(), 5)
    monkeypatch.setattr(mediaworker.worker, "live_state", real_read)

    # Meanwhile the council votes to close the doors; the event reaches the worker.
    with Captured() as log:
        await database_sync_to_async(close_doors)(council, meeting)
    handled = asyncio.ensure_future(worker._handle_event(log.last("doors.closed")))
    await asyncio.sleep(0.05)
    assert composer.gate_closed is True  # closed at once, before the worker's lock is free

    go_on.set()  # the stale refresh now applies what it read before the doors closed
    await asyncio.wait_for(refresh, 5)
    assert composer.gate_closed is True, "a state older than doors.closed reopened the public gate"
    await asyncio.wait_for(handled, 5)
    assert [closed for _, closed in composer.gate_events] == [True]  # never reopened, not even briefly


async def test_it_ignores_a_doors_event_older_than_the_gate(streams):
    council, meeting, worker, composer = await streaming_meeting("gate2", streams)
    with Captured() as log:
        await database_sync_to_async(close_doors)(council, meeting)
        await database_sync_to_async(run)(council.chair, meeting, "doors.open")
        await database_sync_to_async(close_doors)(council, meeting)
    closed = [m for m in log.messages if m["event"] == "doors.closed"]
    opened = log.last("doors.opened")
    streams.on_event(meeting.id, closed[-1])
    streams.on_event(meeting.id, opened)  # delivered late: older than the closure just applied
    assert composer.gate_closed is True
    assert streams.gates[meeting.id].seq == closed[-1]["seq"]


async def test_it_closes_the_gate_even_if_the_doors_closed_event_never_arrives(streams):
    # The channel layer drops a message to a full channel silently; the watchdog re-reads the log.
    from livestream.bridge import GATE_RESYNC_SECONDS
    from tests.helpers import eventually

    council, meeting, worker, composer = await streaming_meeting("gate3", streams)
    assert composer.gate_closed is False

    await database_sync_to_async(close_doors)(council, meeting)  # and the worker is never told
    took = await eventually(lambda: composer.gate_closed, timeout=GATE_RESYNC_SECONDS + 3)
    assert took <= GATE_RESYNC_SECONDS + 1.5


def test_it_folds_doors_events_through_the_projection_even_with_gaps(tmp_path):
    # Broadcasts may overtake each other and the channel layer may drop one: whatever arrives first
    # and is newer decides, because the doors table leads each doors event to one state.
    from livestream.bridge import PublicStreams
    from livestream.composer import Composer

    def doors(kind: str, seq: int, **payload) -> dict:
        return {"event": kind, "seq": seq, "at": "2026-11-25T18:00:00+00:00", "payload": payload, "public": payload}

    streams = PublicStreams()
    composer = Composer(4243, tmp_path, width=160, height=90, fps=10)
    streams.composers[4243] = composer
    streams.on_event(4243, doors("doors.closed", 16, ground="11-5-3-b", item=2, vote=3))  # 12 and 14 not yet here
    assert composer.gate_closed is True and streams.gates[4243].ground == "11-5-3-b"
    streams.on_event(4243, doors("doors.debate_closed", 12, ground="11-5-3-a", item=2))  # older news
    streams.on_event(4243, doors("doors.opened", 14, reason=""))
    assert composer.gate_closed is True and streams.gates[4243].seq == 16
    streams.on_event(4243, doors("doors.opened", 20, reason=""))  # 17-19 never arrive
    assert composer.gate_closed is False and streams.gates[4243].doors["doors"]["state"] == "open"
