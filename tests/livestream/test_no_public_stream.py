"""The exemption mode `no_public_stream` (§ 11-7 (4), only under a profile in force): when the chair
switches to it, the public output becomes a slate with silence and the log says the public could
not follow (`stream.state` down, naming the instrument); back to normal, the stream returns."""

from __future__ import annotations

import asyncio
import datetime as dt

import av
import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from livestream.bridge import no_stream_slate
from livestream.slate import slate_rgb
from meetings.models import ExemptionProfile
from meetings.services.meetings import meeting_apply_exemption
from tests.conference.clients import MEMBERS, Client
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import eventually
from tests.livestream.helpers import events_of
from tests.livestream.test_composer import segment_audio, segment_starts, tone_energy
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_settings")]
INSTRUMENT = "FOR-2026-03-13-999"


def exempt_meeting(council, meeting) -> None:
    today = timezone.localdate()
    profile = ExemptionProfile.objects.create(
        instrument=INSTRUMENT, title="Midlertidig forskrift", enabled=True, allows_no_public_stream=True,
        valid_from=today - dt.timedelta(days=1), valid_to=today + dt.timedelta(days=1))
    meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=profile.id)


def first_picture(path) -> np.ndarray:
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.float32)


async def test_it_shows_a_slate_and_logs_the_stream_down_in_no_public_stream_mode(streams, tmp_path):
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="nops")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(exempt_meeting)(council, meeting)
    await database_sync_to_async(start_meeting)(council, meeting)
    speaker = await database_sync_to_async(council.pid)(council.members[0])
    chair = await database_sync_to_async(council.pid)(council.chair)
    clients = {chair: Client(1, video=False), speaker: Client(2, video=True)}
    tones = (MEMBERS[1][0], MEMBERS[2][0])
    async with EmbeddedMedia(public_streams=True) as media:
        await media.connect_all(meeting.id, clients)
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=speaker)
        live = tmp_path / str(meeting.id)
        await eventually(lambda: len(list(live.glob("seg_*.ts"))) >= 4, timeout=15)
        await asyncio.sleep(2.0)
        await database_sync_to_async(run)(council.chair, meeting, "meeting.set_mode", mode="no_public_stream",
                                          reason="teknisk nødløsning")
        await asyncio.sleep(3.0)
        await database_sync_to_async(run)(council.chair, meeting, "meeting.set_mode", mode="normal")
        await asyncio.sleep(3.5)
        recording = list(streams.composers[meeting.id].recording)

    off, on = await database_sync_to_async(lambda: events_of(meeting.id, "mode.changed"))()
    stream = await database_sync_to_async(lambda: events_of(meeting.id, "stream.state"))()
    assert [e.payload["up"] for e in stream] == [False, True]
    assert INSTRUMENT in stream[0].payload["reason"] and "no public stream" in stream[0].payload["reason"]
    assert off.at <= stream[0].at < off.at + dt.timedelta(seconds=2)
    assert on.at <= stream[1].at < on.at + dt.timedelta(seconds=2)

    slate = slate_rgb(no_stream_slate(INSTRUMENT), 160, 90).astype(np.float32)
    starts = segment_starts((live / "index.m3u8").read_text())
    before, during, after = [], [], []
    for name, start in starts.items():
        pcm = segment_audio(live / name)
        if off.at - dt.timedelta(seconds=3) < start and start + dt.timedelta(seconds=1.2) < off.at:
            before.append(tone_energy(pcm, tones[1]))
        elif off.at + dt.timedelta(seconds=0.25) <= start and start + dt.timedelta(seconds=1.1) < on.at:
            # allowing only the segment boundaries: the one in progress when the gate reopens may
            # end with the first reopened tick, which is lawful
            during.append(max(tone_energy(pcm, f) for f in tones))
            assert np.abs(first_picture(live / name) - slate).mean() < 12, name  # the slate, not the speaker
        elif start >= on.at + dt.timedelta(seconds=1.0):
            after.append(tone_energy(pcm, tones[1]))
    assert before and max(before) > 0.2, before
    assert during and max(during) < 1e-3, during
    assert after and max(after) > 0.2, after
    hidden = {n for n, s in starts.items() if off.at + dt.timedelta(seconds=0.25) <= s
              and s + dt.timedelta(seconds=1.1) < on.at}
    assert hidden and not hidden & {e["name"] for e in recording}  # nor kept for the public recording

