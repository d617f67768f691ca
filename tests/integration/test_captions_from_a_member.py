"""Captions end to end through a member's microphone: two aiortc members speak known English
sentences (espeak-ng) over WebRTC into the SFU, the public stream records them, the chair runs the
floor and the doors live through the real services, and when the meeting ends the captions worker
transcribes the recording. Each cue names the member the log gave the floor to, lies within a
second of the speech in the recording, and holds most of its words; the sentence spoken behind
closed doors is in neither the recording nor the captions.

tests/captions/test_transcribe_recording.py checks the same from a composer fed directly, with the
log replayed on a clock the test controls; this one runs the whole live path on the wall clock.
"""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np
import pytest
from aiortc.mediastreams import AudioStreamTrack
from channels.db import database_sync_to_async
from django.test import Client as PageClient

from captions import worker
from captions.models import CaptionJob, JobState
from captions.recording import recording_finalised, recording_get
from tests.captions.speech import FRAME, RATE, require_espeak, spoken, word_error_rate
from tests.captions.test_transcribe_recording import _speech_regions
from tests.conference.clients import Client
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors, eventually
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]

# (speaker: 0 or 1, sentence, behind closed doors)
SCRIPT = [
    (0, "i would like to thank the mayor for the report", False),
    (1, "we need more money for the schools", False),
    (0, "the salary of the employee is secret", True),
    (1, "the road to the harbour must be repaired this year", False),
]
LEAD = 0.6  # the floor is given this long before the sentence starts and ended this long after it


class Script:
    """The two members' microphones: silence until `start()`, then each plays its own sentences at
    their places on one shared timeline (48 kHz mono), silence after."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str, float, float, bool]] = []  # speaker, sentence, start s, end s, closed
        at = 0.5
        for speaker, sentence, closed in SCRIPT:
            pcm = spoken(sentence)
            # The closed sentence gets room either side for the doors' motion and vote.
            before = 4.0 if closed else 1.5
            at += before
            self.lines.append((speaker, sentence, at, at + len(pcm) / RATE, closed))
            at += len(pcm) / RATE + (4.0 if closed else 0.0)
        self.length = at + 1.5
        # 0 and 1 the speakers; 2 the chair, silent (the chair's microphone is in the public mix too)
        self.pcm = {s: np.zeros(int(self.length * RATE) + FRAME, np.int16) for s in (0, 1, 2)}
        for speaker, sentence, begin, _end, _closed in self.lines:
            pcm = spoken(sentence)  # espeak-ng says the same sentence the same way each time
            i = int(begin * RATE)
            self.pcm[speaker][i:i + len(pcm)] = pcm
        self.started: float | None = None  # the loop time of the timeline's start

    def start(self) -> None:
        self.started = asyncio.get_running_loop().time()

    def track(self, speaker: int) -> ScriptedMicrophone:
        return ScriptedMicrophone(self, speaker)

    async def until(self, seconds: float) -> None:
        assert self.started is not None
        await asyncio.sleep(max(0.0, self.started + seconds - asyncio.get_running_loop().time()))


class ScriptedMicrophone(AudioStreamTrack):
    """One member's microphone: 20 ms frames in real time, the script's samples for that moment."""

    def __init__(self, script: Script, speaker: int) -> None:
        super().__init__()
        self.script, self.speaker = script, speaker
        self._n = 0
        self._t0: float | None = None
        self._at: int | None = None  # the script's sample this microphone plays next

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._t0 is None:
            self._t0 = loop.time()
        self._n += FRAME
        await asyncio.sleep(max(0.0, self._t0 + self._n / RATE - loop.time()))
        chunk = np.zeros(FRAME, np.int16)
        if self.script.started is not None:
            if self._at is None:  # where the timeline is now; from here on, frame after frame
                self._at = max(0, int((loop.time() - self.script.started) * RATE) // FRAME * FRAME)
            pcm = self.script.pcm[self.speaker]
            if self._at + FRAME <= len(pcm):
                chunk = pcm[self._at:self._at + FRAME]
            self._at += FRAME
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._n
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


@pytest.fixture(autouse=True)
def captioned_stream(live_settings, settings):
    settings.LIVESTREAM_FPS = 10
    settings.CAPTIONS_ENGINE = "pocketsphinx"
    settings.CAPTIONS_IN_PROCESS = False  # the test runs the worker's step itself


async def test_a_members_speech_over_webrtc_is_captioned_with_their_name_and_nothing_from_closed_doors():
    require_espeak()
    script = await asyncio.to_thread(Script)
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="capwebrtc")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    speakers = council.members[:2]
    pids = [await database_sync_to_async(council.pid)(u) for u in speakers]
    chair = await database_sync_to_async(council.pid)(council.chair)
    clients = {chair: Client(1, video=False)}
    clients[chair].audio_transceiver.sender.replaceTrack(script.track(2))
    for i, pid in enumerate(pids):
        client = Client(2 + i, video=i == 0)
        client.audio_transceiver.sender.replaceTrack(script.track(i))
        clients[pid] = client
    from livestream.bridge import streams

    async with EmbeddedMedia(public_streams=True) as media:
        await media.connect_all(meeting.id, clients)
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)
        await eventually(lambda: meeting.id in streams.composers, timeout=10)
        script.start()
        for speaker, _sentence, begin, end, closed in script.lines:
            user = speakers[speaker]
            if closed:
                await script.until(begin - 3.5)
                await database_sync_to_async(close_doors)(council, meeting)
            await script.until(begin - LEAD)
            await database_sync_to_async(run)(user, meeting, "floor.request")
            await database_sync_to_async(run)(council.chair, meeting, "floor.grant")
            await script.until(end + LEAD)
            await database_sync_to_async(run)(council.chair, meeting, "floor.end")
            if closed:
                await script.until(end + 1.0)
                await database_sync_to_async(run)(council.chair, meeting, "doors.open", reason="Ferdig")
        await script.until(script.length)
        await database_sync_to_async(run)(council.chair, meeting, "item.close", item_id=item.id)
        await database_sync_to_async(run)(council.chair, meeting, "meeting.end")
        await eventually(lambda: recording_finalised(meeting.id), timeout=20)

    # The meeting's end queued the job; the worker's step runs it on the finalised recording.
    assert await database_sync_to_async(lambda: CaptionJob.objects.get(meeting=meeting).state)() == JobState.QUEUED
    began = time.process_time()
    job = await database_sync_to_async(worker.run_once)()
    assert job is not None and job.state == JobState.DONE, job and job.error
    cues = await database_sync_to_async(lambda: list(job.cues.order_by("index")))()
    open_lines = [line for line in script.lines if not line[4]]
    names = await database_sync_to_async(lambda: [u.person.name for u in speakers])()
    assert [c.speaker for c in cues] == [names[line[0]] for line in open_lines]

    reference = " ".join(line[1] for line in open_lines)
    heard = " ".join(c.text for c in cues)
    wer = word_error_rate(reference, heard)
    print(f"\nreference:  {reference}\nrecognised: {heard}\nWER {wer:.2f} through WebRTC and Opus; "
          f"{time.process_time() - began:.1f} CPU s to transcribe {job.audio_seconds:.1f} s")
    assert wer < 0.6
    secret = set(SCRIPT[2][1].split()) - set(reference.split())
    assert not secret & set(heard.split()), heard

    # The recording holds the three open sentences and not the closed one, and each cue lies within
    # a second of the sound it captions, found in the recording's own audio.
    recording = await database_sync_to_async(recording_get)(meeting.id)
    total = sum(s["duration"] for s in recording.segments)
    regions = await asyncio.to_thread(lambda: _speech_regions(recording.audio(0, total)))
    assert len(regions) == 3, regions
    for cue, (begin, end) in zip(cues, regions, strict=True):
        assert abs(cue.start - begin) < 1.0 and abs(cue.end - end) < 1.0, (cue, begin, end)

    vtt = await database_sync_to_async(lambda: PageClient().get(f"/meetings/{meeting.id}/captions.vtt"))()
    assert vtt.status_code == 200
    body = vtt.content.decode()
    assert all(f"<v {name}>" in body for name in names)
