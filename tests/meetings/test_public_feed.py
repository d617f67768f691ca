"""The public feed's per-process fan-out (meetings/public_feed.py) over the configured channel layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer

from meetings import events, public_feed


async def publish(meeting_id: int, seq: int) -> None:
    await get_channel_layer().group_send(
        events.public_group(meeting_id),
        {"type": "log.event", "event": {"type": "event", "seq": seq, "event": "item.opened", "payload": {"n": seq}}})


async def test_it_delivers_each_event_once_to_every_viewer_in_order() -> None:
    viewers = [await public_feed.subscribe(9001) for _ in range(50)]
    try:
        for seq in range(1, 6):
            await publish(9001, seq)
        for viewer in viewers:
            got = [await asyncio.wait_for(viewer.next(), 5) for _ in range(5)]
            assert [event["seq"] for event, _ in got] == [1, 2, 3, 4, 5]
            assert json.loads(got[0][1]) == got[0][0]  # the shared text is the event itself
            assert viewer.queue.empty()
        assert public_feed.viewer_count(9001) == 50
    finally:
        for viewer in viewers:
            await public_feed.unsubscribe(viewer)
    assert public_feed.viewer_count(9001) == 0


async def test_it_keeps_meetings_apart() -> None:
    a, b = await public_feed.subscribe(9002), await public_feed.subscribe(9003)
    try:
        await publish(9002, 1)
        event, _ = await asyncio.wait_for(a.next(), 5)
        assert event["seq"] == 1
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(b.next(), 0.3)
    finally:
        await public_feed.unsubscribe(a)
        await public_feed.unsubscribe(b)


async def test_it_marks_a_slow_viewer_lagging_instead_of_growing_its_queue() -> None:
    slow = await public_feed.subscribe(9004)
    try:
        for seq in range(1, public_feed.VIEWER_QUEUE + 20):
            slow.offer({"seq": seq}, "{}")
        assert slow.queue.qsize() == public_feed.VIEWER_QUEUE
        with pytest.raises(public_feed.Lagging):
            await slow.next()
        assert slow.queue.empty()  # the viewer is re-sent the state document and starts afresh
        slow.offer({"seq": 999}, "{}")
        assert (await slow.next())[0]["seq"] == 999
    finally:
        await public_feed.unsubscribe(slow)


async def test_it_stops_listening_when_the_last_viewer_leaves() -> None:
    viewer = await public_feed.subscribe(9005)
    await public_feed.unsubscribe(viewer)
    again = await public_feed.subscribe(9005)
    try:
        await publish(9005, 7)
        event, _ = await asyncio.wait_for(again.next(), 5)
        assert event["seq"] == 7
        assert viewer.queue.empty()  # the old subscription gets nothing after it left
    finally:
        await public_feed.unsubscribe(again)
