"""The legal core, end to end: a member's real aiortc peer speaks through the SFU into the public
stream; when the log records the doors closed, no energy at the member's tone reaches any public
segment produced after that instant; after reopening, it returns."""

from __future__ import annotations

import asyncio
import datetime as dt

import aioice.stun
import pytest
from channels.db import database_sync_to_async

from meetings import media_worker
from meetings.legal import ClosureGround
from meetings.models import MeetingEvent
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.integration.test_media_follows_the_log import connect, eventually
from tests.livestream_http.test_composer import segment_audio, segment_starts, tone_energy
from tests.media.clients import MEMBERS, Client

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def live_settings(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)
    settings.MEDIA_IN_PROCESS = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.LIVESTREAM_ENABLED = True
    settings.LIVESTREAM_ROOT = tmp_path
    settings.LIVESTREAM_WIDTH, settings.LIVESTREAM_HEIGHT, settings.LIVESTREAM_FPS = 160, 90, 10
    settings.LIVESTREAM_WINDOW = 100


async def test_closed_doors_silence_the_public_stream_and_reopening_restores_it(tmp_path):
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="pub")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    speaker_user = council.members[0]
    speaker = await database_sync_to_async(council.pid)(speaker_user)
    chair = await database_sync_to_async(council.pid)(council.chair)
    clients = {chair: Client(1, video=False), speaker: Client(2, video=True)}
    speaker_tone, chair_tone = MEMBERS[2][0], MEMBERS[1][0]
    tasks = []
    from livestream.bridge import streams
    from meetings.media import gateway

    try:
        media_worker.ensure_embedded_worker()
        tasks = list(media_worker._embedded.values())
        for pid, client in clients.items():
            await connect(meeting.id, pid, client)
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=speaker)
        live = tmp_path / str(meeting.id)
        await eventually(lambda: len(list(live.glob("seg_*.ts"))) >= 4, timeout=15)
        await asyncio.sleep(2.0)

        async def run_as(user, name, **payload):
            return await database_sync_to_async(run)(user, meeting, name, **payload)

        await run_as(council.chair, "doors.motion", ground=ClosureGround.PRIVACY)
        vote = await run_as(council.chair, "vote.open", kind="closure")
        # Only those who can see and hear vote.
        eligible = await database_sync_to_async(
            lambda: meeting.__class__.objects.get(id=meeting.id).live_state["votes"][str(vote)]["eligible"])()
        users = {str(await database_sync_to_async(council.pid)(u)): u for u in [council.chair, *council.members]}
        for pid in eligible:
            await run_as(users[pid], "vote.cast", vote=vote, choice="for")
        await run_as(council.chair, "vote.close", vote=vote)
        await asyncio.sleep(3.0)
        await run_as(council.chair, "doors.open")
        await asyncio.sleep(3.5)
    finally:
        await streams.stop_all()
        for client in clients.values():
            await client.close()
        for task in tasks:
            task.cancel()
        media_worker._embedded.clear()
        await gateway.rooms.close_all()

    closed_at, opened_at = await database_sync_to_async(lambda: (
        MeetingEvent.objects.get(meeting=meeting, type="doors.closed").at,
        MeetingEvent.objects.get(meeting=meeting, type="doors.opened").at))()
    starts = segment_starts((live / "index.m3u8").read_text())
    energies = {"before": [], "during": [], "after": []}
    for name, start in starts.items():
        pcm = segment_audio(live / name)
        if start + dt.timedelta(seconds=1.2) < closed_at and start > closed_at - dt.timedelta(seconds=4):
            energies["before"].append(tone_energy(pcm, speaker_tone))
        elif closed_at + dt.timedelta(seconds=0.25) <= start < opened_at:
            # Everything produced after the doors-closed event, allowing only the segment boundary.
            energies["during"].append(max(tone_energy(pcm, speaker_tone), tone_energy(pcm, chair_tone)))
        elif start >= opened_at + dt.timedelta(seconds=1.0):
            energies["after"].append(tone_energy(pcm, speaker_tone))
    assert energies["before"] and max(energies["before"]) > 0.2, energies
    assert energies["during"] and max(energies["during"]) < 1e-3, energies
    assert energies["after"] and max(energies["after"]) > 0.2, energies
    chapters = (live / "chapters.vtt").read_text()
    assert item.case_number in chapters
