"""`manage.py watch_streams`: the watchdog outside the media worker logs a public stream whose
producer died as `stream.state` down, and up when a new worker streams again."""

from __future__ import annotations

import asyncio
import time
from io import StringIO

import pytest
from channels.db import database_sync_to_async
from django.core.management import CommandError, call_command

from livestream.watchdog import stream_check_all
from mediaworker.worker import live_state
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors, eventually
from tests.livestream.helpers import events_of

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_settings")]


def watch_once() -> str:
    out = StringIO()
    call_command("watch_streams", "--once", stdout=out)
    return out.getvalue()


async def stream_states(meeting_id: int) -> list[dict]:
    return [e.payload for e in await database_sync_to_async(events_of)(meeting_id, "stream.state")]


async def test_it_logs_a_stream_whose_worker_died_and_its_return(streams, settings):
    settings.LIVESTREAM_SEGMENT_SECONDS = 0.5
    council = await database_sync_to_async(make_council)(seats=3, deputies=0, slug="watch")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)

    async def stream_from_a_worker():
        seq, state = await live_state(meeting_id=meeting.id)
        streams.follow(meeting.id, state, None, set(), set(), seq=seq)
        out_dir = streams.composers[meeting.id].out_dir
        count = len(list(out_dir.glob("seg_*.ts")))
        await eventually(lambda: len(list(out_dir.glob("seg_*.ts"))) >= count + 2)

    await stream_from_a_worker()
    assert await database_sync_to_async(watch_once)() == ""  # healthy: nothing to log
    await streams.stop(meeting.id)  # the media worker dies: its composer and its own watchdog with it
    await asyncio.sleep(2.5)
    out = await database_sync_to_async(watch_once)()
    assert f"meeting {meeting.id}: public stream down" in out
    [down] = await stream_states(meeting.id)
    assert down["up"] is False and "media worker" in down["reason"]

    await stream_from_a_worker()  # a new worker takes the meeting
    await database_sync_to_async(watch_once)()
    assert [s["up"] for s in await stream_states(meeting.id)] == [False, True]


async def test_it_leaves_a_meeting_with_closed_doors_alone(settings):
    council = await database_sync_to_async(make_council)(seats=3, deputies=0, slug="watch2")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    item = await database_sync_to_async(lambda: meeting.items.first())()
    await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
    await database_sync_to_async(close_doors)(council, meeting)
    checks = await database_sync_to_async(stream_check_all)(now=time.time() + 60)
    assert checks == [] and await stream_states(meeting.id) == []


def test_it_logs_a_stream_that_never_started(settings, db):
    council = make_council(seats=3, deputies=0, slug="watch3")
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    assert [c.up for c in stream_check_all()] == [True]  # just opened: still within the grace
    [check] = stream_check_all(now=time.time() + 60)
    assert check.up is False and check.logged and check.silent_for > 59


def test_it_refuses_a_bad_interval(settings):
    with pytest.raises(CommandError, match="positive"):
        call_command("watch_streams", "--interval", "0")


def test_it_checks_nothing_when_the_stream_is_disabled(settings, db):
    settings.LIVESTREAM_ENABLED = False
    council = make_council(seats=3, deputies=0, slug="watch4")
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    assert stream_check_all(now=time.time() + 60) == []
