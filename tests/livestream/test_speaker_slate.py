"""A speaker who sends no video: the public picture is a slate naming the speaker (not the chair's
camera), while the speaker's audio goes on; with a camera, the speaker's picture is shown."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from channels.db import database_sync_to_async

from livestream.slate import floor_slate, slate_rgb
from tests.conference.clients import MEMBERS, Client
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import eventually
from tests.livestream.signal import segment_audio, tone_amplitude
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_settings")]
W, H = 160, 90  # the picture size live_settings sets


def newest(live, n: int = 2) -> list:
    return sorted(live.glob("seg_*.ts"))[-n:]


def picture(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24").astype(np.float32)


def test_it_names_the_speaker_when_the_speaker_has_no_camera():
    assert floor_slate(mode="normal", floor={"person": 3, "name": "Kari Nordmann"}, speaker_on_camera=False) == (
        "Ordet har Kari Nordmann (bare lyd)\nKari Nordmann has the floor (audio only)")
    assert floor_slate(mode="normal", floor={"person": 3, "name": "Kari"}, speaker_on_camera=True) is None
    assert floor_slate(mode="normal", floor=None, speaker_on_camera=False) is None  # the chair's picture
    assert "Kari" in floor_slate(mode="audio_only", floor={"person": 3, "name": "Kari"}, speaker_on_camera=True)


async def test_the_public_sees_a_slate_naming_a_speaker_without_video_and_hears_them(tmp_path):
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="slate")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    chair = await database_sync_to_async(council.pid)(council.chair)
    speaker = await database_sync_to_async(council.pid)(council.members[0])
    speaker_name = await database_sync_to_async(lambda: council.person(council.members[0]).name)()
    clients = {chair: Client(1, video=True), speaker: Client(2, video=False)}
    expected = f"Ordet har {speaker_name} (bare lyd)\n{speaker_name} has the floor (audio only)"
    speaker_slate = slate_rgb(expected, W, H).astype(np.float32)
    live = tmp_path / str(meeting.id)
    async with EmbeddedMedia(public_streams=True) as media:
        await media.connect_all(meeting.id, clients)
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
        await eventually(lambda: len(list(live.glob("seg_*.ts"))) >= 3, timeout=15)
        await asyncio.sleep(1.5)
        chair_picture = picture(newest(live)[0])
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=speaker)
        await asyncio.sleep(2.5)
        speaking = newest(live)

    # Before the floor is given, the chair's camera (not a slate) is the picture.
    assert np.abs(chair_picture - speaker_slate).mean() > 20
    for segment in speaking:
        assert np.abs(picture(segment) - speaker_slate).mean() < 12, segment  # the slate naming the speaker
        assert tone_amplitude(segment_audio(segment), MEMBERS[2][0]) > 0.1, segment  # and the speaker is heard
