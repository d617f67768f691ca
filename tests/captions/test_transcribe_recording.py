"""End to end with real speech: espeak-ng speaks known sentences as a member's microphone into
the real composer (the public mix, its gate and its HLS recording), the log says who had the
floor, and the pocketsphinx job turns the recording into captions named after the speakers.
The sentence spoken behind closed doors is in neither the recording nor the captions."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import numpy as np
import pytest
from django.test import Client

from captions import worker
from captions.engines import SAMPLE_RATE
from captions.models import CaptionJob, CueVersion, JobState
from captions.recording import recording_get
from captions.services import captions_approve, captions_transcribe, cue_correct
from livestream.composer import Composer
from livestream.health import stream_dir
from tests.captions.helpers import SteppingClock, close_and_reopen, speak
from tests.captions.speech import RATE, ScriptTrack, require_espeak, spoken, word_error_rate
from tests.factories import make_council, make_meeting, run, start_meeting

pytestmark = [pytest.mark.media, pytest.mark.django_db]

OPEN_SPEECHES = [  # (member index, sentence), in open session
    (0, "i would like to thank the mayor for the report"),
    (1, "we need more money for the schools"),
    (1, "the road to the harbour must be repaired this year"),
]
CLOSED_SPEECH = (0, "the salary of the employee is secret")
GAP = 1.5  # seconds of silence between speeches
LEAD = 0.4  # the chair gives the floor a little before the speaker starts, and ends it a little after


def _script() -> tuple[np.ndarray, list[tuple[int, str, float, float, bool]]]:
    """The microphone's whole signal and (member, sentence, start s, end s, behind closed doors)."""
    order = [(*OPEN_SPEECHES[0], False), (*OPEN_SPEECHES[1], False), (*CLOSED_SPEECH, True),
             (*OPEN_SPEECHES[2], False)]
    pieces, lines, at = [np.zeros(int(GAP * RATE), np.int16)], [], GAP
    for member, sentence, closed in order:
        pcm = spoken(sentence)
        lines.append((member, sentence, at, at + len(pcm) / RATE, closed))
        pieces += [pcm, np.zeros(int(GAP * RATE), np.int16)]
        at += len(pcm) / RATE + GAP
    return np.concatenate(pieces), lines


async def _record(meeting_id: int, pcm: np.ndarray, gate: tuple[float, float]) -> float:
    """Play `pcm` into a composer writing the meeting's recording; the gate closed from gate[0]
    to gate[1] seconds into it. Returns the wall time of the first sample."""
    composer = Composer(meeting_id, stream_dir(meeting_id), width=160, height=90, fps=10, segment_seconds=1.0)
    track = ScriptTrack(pcm)
    composer.set_sources([track], None)
    composer.start()
    try:
        while track.started is None:
            await asyncio.sleep(0.05)
        loop_start = asyncio.get_running_loop().time() - (time.time() - track.started)
        for moment, closed in ((gate[0], True), (gate[1], False)):
            await asyncio.sleep(max(0.0, loop_start + moment - asyncio.get_running_loop().time()))
            composer.set_gate(closed, "Lukket møte" if closed else "")
        while not track.finished:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the last samples into the last segment
    finally:
        await composer.stop()
        track.stop()
    return track.started


def _speech_regions(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of the stretches of sound in the recording's audio (20 ms windows
    above a floor, pauses under a second bridged): found in the audio, not from the log."""
    window = SAMPLE_RATE // 50
    frames = samples[: len(samples) // window * window].astype(np.float32).reshape(-1, window) / 32768
    loud = np.sqrt((frames ** 2).mean(axis=1)) > 0.01
    regions: list[list[float]] = []
    for i in np.flatnonzero(loud):
        t = i * window / SAMPLE_RATE
        if regions and t - regions[-1][1] < 1.0:
            regions[-1][1] = t + window / SAMPLE_RATE
        else:
            regions.append([t, t + window / SAMPLE_RATE])
    return [(a, b) for a, b in regions if b - a > 0.3]


def test_it_captions_each_open_speech_with_its_speaker(settings, tmp_path, django_capture_on_commit_callbacks):
    require_espeak()
    settings.LIVESTREAM_ROOT = tmp_path
    settings.CAPTIONS_ENGINE = "pocketsphinx"
    council = make_council(seats=4, slug="cap2")
    meeting = make_meeting(council, items=1)
    members = council.members
    pcm, lines = _script()
    closed_line = next(line for line in lines if line[4])
    gate = (closed_line[2] - GAP / 2, closed_line[3] + GAP / 2)
    started = asyncio.run(_record(meeting.id, pcm, gate))

    # The log, dated as it happened: the floor around each sentence, the doors around the closed one.
    def wall(seconds: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(started + seconds, dt.UTC)

    clock = SteppingClock(wall(-10))
    with clock.replaying():
        start_meeting(council, meeting)
        run(council.chair, meeting, "item.open", item_id=meeting.items.get().id)
        for member, _sentence, begin, end, closed in lines:
            if closed:
                clock.at(wall(gate[0]) - dt.timedelta(seconds=0.5))

                def behind(member=member, begin=begin, end=end) -> None:
                    clock.at(wall(begin - LEAD))
                    speak(council, meeting, members[member])
                    clock.at(wall(end + LEAD))
                    run(council.chair, meeting, "floor.end")
                    clock.at(wall(gate[1]))

                close_and_reopen(council, meeting, behind)
                continue
            clock.at(wall(begin - LEAD))
            speak(council, meeting, members[member])
            clock.at(wall(end + LEAD))
            run(council.chair, meeting, "floor.end")
        run(council.chair, meeting, "item.close", item_id=meeting.items.get().id)
        with django_capture_on_commit_callbacks(execute=True):
            run(council.chair, meeting, "meeting.end")

    # The meeting's end queued the job; the worker runs it, the recording being finalised.
    assert CaptionJob.objects.get(meeting=meeting).state == JobState.QUEUED
    job = worker.run_once()
    assert job is not None and job.meeting_id == meeting.id
    assert job.state == JobState.DONE, job.error
    assert (job.speeches_done, job.speeches_total) == (3, 3)
    cues = list(job.cues.order_by("index"))
    assert [c.speaker for c in cues] == [members[m].person.name for m, _ in OPEN_SPEECHES]

    reference = " ".join(sentence for _m, sentence in OPEN_SPEECHES)
    heard = " ".join(c.text for c in cues)
    wer = word_error_rate(reference, heard)
    print(f"\nreference:  {reference}\nrecognised: {heard}\nWER {wer:.2f}; pocketsphinx "
          f"{job.cpu_seconds / job.audio_seconds * 60:.1f} CPU s per minute of audio "
          f"({job.cpu_seconds:.1f} s for {job.audio_seconds:.1f} s)")
    assert wer < 0.5
    secret = set(CLOSED_SPEECH[1].split()) - set(reference.split())
    assert not secret & set(heard.split()), heard

    # Each cue lies within a second of the sound it captions, found in the recording's audio.
    recording = recording_get(meeting.id)
    total = sum(s["duration"] for s in recording.segments)
    regions = _speech_regions(recording.audio(0, total))
    assert len(regions) == 3, regions  # the closed sentence is not in the recording
    for cue, (begin, end) in zip(cues, regions, strict=True):
        assert abs(cue.start - begin) < 1.0 and abs(cue.end - end) < 1.0, (cue, begin, end)

    vtt = Client().get(f"/meetings/{meeting.id}/captions.vtt")
    assert vtt.status_code == 200 and vtt["Content-Type"].startswith("text/vtt")
    body = vtt.content.decode()
    assert body.startswith("WEBVTT") and body.count("<v Medlem 1>") == 1 and body.count("<v Medlem 2>") == 2

    # The clerk corrects the second speech; a new run (a better engine, say) keeps the correction,
    # and the other speeches keep their automatic texts' history; once approved, no run changes them.
    corrected = "we need more money for the schools"
    cue_correct(user=council.clerk, meeting_id=meeting.id, index=cues[1].index, text=corrected, version=1)
    again = captions_transcribe(meeting_id=meeting.id)
    assert again.state == JobState.DONE, again.error
    after = list(again.cues.order_by("index"))
    assert [c.text for c in after] == [cues[0].text, corrected, cues[2].text]
    assert [c.corrected for c in after] == [False, True, False]
    assert CueVersion.objects.filter(cue=after[1]).count() == 2
    assert CueVersion.objects.filter(cue=after[0]).count() == 1  # the same engine heard the same
    captions_approve(user=council.clerk, meeting_id=meeting.id)
    assert captions_transcribe(meeting_id=meeting.id).finished_at == again.finished_at  # not run again
    body = Client().get(f"/meetings/{meeting.id}/captions.vtt").content.decode()
    assert corrected in body
