"""The legal core, end to end: a member's real aiortc peer speaks through the SFU into the public
stream. While the doors are open the tone is in the HLS segments and reaches a WebRTC viewer;
from the log's doors.closed `at` (plus one tick and the delivery of the event) no decoded sample of
any public output (live HLS, the recording, the WebRTC viewer) carries energy at a member's tone;
after the doors open again, it returns.

HLS samples are placed on the wall clock by PROGRAM-DATE-TIME + their offset in the segment, so
only the instant of the cut is allowed, not whole segments. The WebRTC viewer's samples are placed
by when they arrived, so the allowance there also covers the network path and jitter buffer.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from channels.db import database_sync_to_async

from livestream import webrtc
from meetings.legal import ClosureGround
from meetings.models import MeetingEvent
from tests.conference.clients import MEMBERS, Client
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import eventually
from tests.livestream.signal import media_file, segment_starts, timed_audio, tone_amplitude, windows
from tests.livestream.viewer import Viewer
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]
FPS = 10
HLS_SLACK = 1 / FPS + 0.2  # one tick, plus the commit → media worker → gate hop
VIEWER_SLACK = 0.6  # the same, plus RTP, the viewer's jitter buffer and decoding
SILENT = 0.01  # amplitude (full scale 1); the members' tones are 0.3


@pytest.fixture(autouse=True)
def live_settings(live_settings, settings):
    settings.LIVESTREAM_FPS = FPS
    settings.LIVESTREAM_MAX_WEBRTC_VIEWERS = 2


def hls_windows(out, playlist: str, tones: tuple[int, ...]) -> list[tuple[float, float, float]]:
    """(first sample time, last sample time, loudest member tone) per 50 ms of decoded audio."""
    result = []
    for name, start in segment_starts((out / playlist).read_text()).items():
        t0, pcm = timed_audio(media_file(out, name), start)
        result += [(a, b, max(tone_amplitude(w, f) for f in tones)) for a, b, w in windows(t0, pcm)]
    return result


def mostly(amplitudes: list[float], above: float = 0.1) -> bool:
    """The tone is there in most windows (a loaded machine may starve one or two of audio)."""
    return len(amplitudes) >= 5 and sum(a > above for a in amplitudes) >= 0.8 * len(amplitudes)


async def test_closed_doors_silence_every_public_output_and_reopening_restores_it(tmp_path):
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="pub")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    speaker_user = council.members[0]
    speaker = await database_sync_to_async(council.pid)(speaker_user)
    chair = await database_sync_to_async(council.pid)(council.chair)
    clients = {chair: Client(1, video=False), speaker: Client(2, video=True)}
    speaker_tone, chair_tone = MEMBERS[2][0], MEMBERS[1][0]
    viewer = Viewer()
    from livestream.bridge import streams

    async with EmbeddedMedia(public_streams=True) as media, viewer:
        await media.connect_all(meeting.id, clients)
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=speaker)
        live = tmp_path / str(meeting.id)
        await eventually(lambda: meeting.id in streams.composers, timeout=10)
        response = await viewer.connect(meeting.id)
        assert response.status_code == 200, response.content
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
        gate_events = list(streams.composers[meeting.id].gate_events)
        # The meeting ends: the media worker stops the composer, and the WebRTC viewers with it.
        await run_as(council.chair, "meeting.end")
        await eventually(lambda: webrtc.viewer_count() == 0 and meeting.id not in streams.composers, timeout=10)
        await eventually(lambda: viewer.ended == {"audio", "video"}, timeout=10)

    closed_at, opened_at = await database_sync_to_async(lambda: (
        MeetingEvent.objects.get(meeting=meeting, type="doors.closed").at.timestamp(),
        MeetingEvent.objects.get(meeting=meeting, type="doors.opened").at.timestamp()))()
    gate_delay = next(t for t, closed in gate_events if closed) - closed_at
    print(f"log doors.closed at -> composer gate closed: {1000 * gate_delay:.0f} ms")
    tones = (speaker_tone, chair_tone)

    # Live HLS: every decoded sample, on the wall clock.
    hls = hls_windows(live, "index.m3u8", tones)
    before = [amp for a, b, amp in hls if closed_at - 2.0 < a and b < closed_at - 0.1]
    during = [(round(a - closed_at, 3), amp) for a, b, amp in hls if a > closed_at + HLS_SLACK and b < opened_at]
    after = [amp for a, b, amp in hls if a > opened_at + 0.5]
    assert mostly(before), before
    assert len(during) >= 40 and max(amp for _, amp in during) < SILENT, during
    assert mostly(after), after
    first_silent = min(a for a, b, amp in hls if a > closed_at and amp < SILENT)
    print(f"log doors.closed at -> first silent HLS sample window: {1000 * (first_silent - closed_at):.0f} ms")

    # The recording: the closed part is not in it at all, and nothing recorded is from it.
    recorded = hls_windows(live, "recording.m3u8", tones)
    assert not [(a - closed_at, amp) for a, b, amp in recorded if a > closed_at + HLS_SLACK and b < opened_at]
    assert mostly([amp for a, b, amp in recorded if a > opened_at + 0.5])

    # The WebRTC viewer, by when its samples arrived.
    received = [(t, max(tone_amplitude(pcm, f) for f in tones)) for t, pcm in viewer.windows()]
    assert mostly([amp for t, amp in received if closed_at - 2.0 < t < closed_at - 0.2]), received
    viewer_during = [(round(t - closed_at, 3), amp) for t, amp in received if closed_at + VIEWER_SLACK < t < opened_at]
    assert len(viewer_during) >= 20 and max(amp for _, amp in viewer_during) < SILENT, viewer_during
    assert mostly([amp for t, amp in received if t > opened_at + 1.0]), received
    viewer_silent = min(t for t, amp in received if t > closed_at and amp < SILENT)
    print(f"log doors.closed at -> first silent WebRTC viewer window: {1000 * (viewer_silent - closed_at):.0f} ms")
    assert np.isfinite(viewer_silent)

    # Chapters sit where the log says, on the recording's own timeline (within one segment).
    item_at, floor_at = await database_sync_to_async(lambda: (
        MeetingEvent.objects.get(meeting=meeting, type="item.opened").at.timestamp(),
        MeetingEvent.objects.get(meeting=meeting, type="floor.granted").at.timestamp()))()
    recording_start = min(segment_starts((live / "recording.m3u8").read_text()).values()).timestamp()
    cues = chapter_cues((live / "chapters.vtt").read_text())
    assert abs(cues[f"{item.case_number} {item.title}"] - max(0.0, item_at - recording_start)) <= 1.0, cues
    assert abs(cues["Medlem 1"] - max(0.0, floor_at - recording_start)) <= 1.0, cues


def chapter_cues(vtt: str) -> dict[str, float]:
    """Title → start (s) of each WebVTT cue."""
    cues, lines = {}, vtt.splitlines()
    for i, line in enumerate(lines):
        if " --> " in line:
            h, m, s = line.split(" --> ")[0].split(":")
            cues[lines[i + 1]] = int(h) * 3600 + int(m) * 60 + float(s)
    return cues
