"""The embedded media workers: one task per worker number on the running loop, each kept."""

from __future__ import annotations

import asyncio

import pytest

from mediaworker.embedded import _embedded, ensure_embedded_worker


@pytest.fixture
def embedded(settings):
    settings.MEDIA_IN_PROCESS = True
    settings.MEDIA_WORKERS = 3
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield _embedded
    for task in _embedded.values():
        task.cancel()
    _embedded.clear()


async def test_it_starts_and_keeps_one_task_per_worker(embedded):
    ensure_embedded_worker()
    first = dict(embedded)
    assert len(first) == 3 and all(not t.done() for t in first.values())
    ensure_embedded_worker()  # a second member connecting starts nothing new
    assert embedded == first


async def test_it_restarts_only_a_worker_that_ended(embedded):
    ensure_embedded_worker()
    first = dict(embedded)
    dead_key = sorted(first)[1]
    first[dead_key].cancel()
    await asyncio.sleep(0)
    ensure_embedded_worker()
    assert embedded[dead_key] is not first[dead_key] and not embedded[dead_key].done()
    assert all(embedded[k] is first[k] for k in first if k != dead_key)


async def test_it_starts_nothing_when_the_worker_runs_as_its_own_process(embedded, settings):
    settings.MEDIA_IN_PROCESS = False
    ensure_embedded_worker()
    assert embedded == {}
