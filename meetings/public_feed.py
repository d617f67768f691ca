"""The public feed's fan-out: one channel-layer subscription per process and meeting.

If every anonymous viewer held its own channel in the meeting's public group, each public event
would be serialised, pushed through Redis and decoded once per viewer: thousands of times per
event, on the same event loop that serves the members. Instead each process joins the group once
per meeting, decodes each event once, serialises it once, and hands the same text to its local
viewers. A viewer that falls behind (its bounded queue is full) is not allowed to grow memory: it
is marked as lagging and re-sent the public state document, which is always complete. The feed
decides nothing about visibility: the public group only ever carries each event's public form,
decided by the policy (`meetings/visibility.py`) when the event was written.

    subscription = await public_feed.subscribe(meeting_id)
    ... send the state document ...
    async for event, text in subscription:   # in order; `text` is the event as JSON
        ...
    await public_feed.unsubscribe(subscription)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from channels.layers import get_channel_layer

from . import events

log = logging.getLogger(__name__)

VIEWER_QUEUE = 256  # events a viewer may be behind before it is re-sent the whole state instead


class Lagging(Exception):
    """The viewer fell more than VIEWER_QUEUE events behind; it must be re-sent the state document."""


class Subscription:
    def __init__(self, meeting_id: int) -> None:
        self.meeting_id = meeting_id
        self.queue: asyncio.Queue[tuple[dict[str, Any], str]] = asyncio.Queue(VIEWER_QUEUE)
        self.lagging = False

    def offer(self, event: dict[str, Any], text: str) -> None:
        if self.lagging:
            return
        try:
            self.queue.put_nowait((event, text))
        except asyncio.QueueFull:
            self.lagging = True  # dropped events are recovered from the state document

    async def next(self) -> tuple[dict[str, Any], str]:
        """The next event, or `Lagging` once after the viewer fell behind (its queue is emptied)."""
        if self.lagging:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.lagging = False
            raise Lagging
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[tuple[dict[str, Any], str]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[dict[str, Any], str]]:
        while True:
            yield await self.next()


class _MeetingFeed:
    """This process's one member of `public_group(meeting_id)`, pumping events to local viewers."""

    def __init__(self, meeting_id: int) -> None:
        self.meeting_id = meeting_id
        layer = get_channel_layer()
        assert layer is not None, "CHANNEL_LAYERS is configured in settings"
        self.layer = layer
        self.viewers: set[Subscription] = set()
        self.channel: str | None = None
        self.starting: asyncio.Future[None] | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # The layer's default prefix: channels_redis receives every process-local channel through one
        # shared Redis list per prefix; a list of its own would wait behind the consumers' receive loop.
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(events.public_group(self.meeting_id), self.channel)
        self.task = asyncio.ensure_future(self._pump())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.channel is not None:
            await self.layer.group_discard(events.public_group(self.meeting_id), self.channel)

    async def _pump(self) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end the feed; viewers resync by seq
                log.exception("public feed %s: receive failed", self.meeting_id)
                await asyncio.sleep(0.5)
                continue
            event = message.get("event")
            if not isinstance(event, dict):
                continue
            text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            for viewer in tuple(self.viewers):
                viewer.offer(event, text)


_feeds: dict[tuple[int, int], _MeetingFeed] = {}


def _key(meeting_id: int) -> tuple[int, int]:
    # Keyed by the running loop too: tests run one loop per test, each with its own feeds.
    return (id(asyncio.get_running_loop()), meeting_id)


async def subscribe(meeting_id: int) -> Subscription:
    """Register a viewer. Events committed after this returns are delivered to it, in order."""
    key = _key(meeting_id)
    feed = _feeds.get(key)
    if feed is None:
        feed = _feeds[key] = _MeetingFeed(meeting_id)
        feed.starting = asyncio.ensure_future(feed.start())
    assert feed.starting is not None
    try:
        await asyncio.shield(feed.starting)  # viewers arriving together share one start
    except Exception:
        if _feeds.get(key) is feed:
            del _feeds[key]
        raise
    subscription = Subscription(meeting_id)
    feed.viewers.add(subscription)
    return subscription


async def unsubscribe(subscription: Subscription) -> None:
    key = _key(subscription.meeting_id)
    feed = _feeds.get(key)
    if feed is None:
        return
    feed.viewers.discard(subscription)
    if not feed.viewers:
        del _feeds[key]
        await feed.stop()


def viewer_count(meeting_id: int) -> int:
    """Viewers of this meeting connected to this process (for health and benches)."""
    return sum(len(f.viewers) for (loop, mid), f in _feeds.items() if mid == meeting_id)
