"""Transcribing a meeting's public recording into captions, off the live path.

`captions_transcribe` is what the management command runs and what the meeting-ended listener
can call (`listeners.on_event`, not yet registered): it never raises. Whatever goes wrong ends
in the job's state and error text for the clerk, so the minutes and the recording, which do not
depend on it, are never held up by it.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting

from . import engines, intervals
from .models import CaptionJob, Cue, JobState
from .recording import recording_get
from .signals import cues_changed

log = logging.getLogger(__name__)


def _job(meeting_id: int) -> CaptionJob:
    job, _created = CaptionJob.objects.get_or_create(meeting_id=meeting_id)
    return job


def _finish(job: CaptionJob, state: JobState, error: str = "") -> CaptionJob:
    job.state, job.error, job.finished_at = state, error, timezone.now()
    job.save()
    return job


def captions_transcribe(*, meeting_id: int) -> CaptionJob:
    """Transcribe each open-door speech of the meeting from its public recording, one cue per
    speech. Replaces the cues of an earlier run once the new ones are complete."""
    if not Meeting.objects.filter(id=meeting_id).exists():
        raise Meeting.DoesNotExist(f"no meeting {meeting_id}")  # a caller's mistake, not a job state
    job = _job(meeting_id)
    job.state, job.error, job.started_at, job.finished_at = JobState.RUNNING, "", timezone.now(), None
    job.speeches_done = job.speeches_total = 0
    job.cpu_seconds = job.audio_seconds = 0.0
    job.save()
    try:
        return _transcribe(job)
    except Exception as exc:  # whatever it was, the job says so; nothing else depends on it
        log.exception("captions of meeting %s failed", meeting_id)
        return _finish(job, JobState.FAILED, f"{exc.__class__.__name__}: {exc}")


def _transcribe(job: CaptionJob) -> CaptionJob:
    try:
        engine = engines.engine_get()
    except engines.EngineUnavailable as exc:
        return _finish(job, JobState.UNAVAILABLE, str(exc))
    job.engine = engine.name
    recording = recording_get(job.meeting_id)
    if recording is None:
        return _finish(job, JobState.UNAVAILABLE, "the meeting has no public recording")
    records = intervals.meeting_records(job.meeting_id)
    until = records[-1]["at"] if records else None
    speeches = intervals.speech_intervals(records, until=until)
    job.speeches_total = len(speeches)
    job.save(update_fields=["engine", "speeches_total", "updated_at"])
    cues: list[Cue] = []
    for i, speech in enumerate(speeches, start=1):
        start, end = recording.offset(speech.start), recording.offset(speech.end)
        if end > start:  # a speech wholly outside the recording (stream down) has no audio
            pcm = recording.audio(start, end)
            began = time.process_time()
            text = engine.transcribe(pcm)
            job.cpu_seconds += time.process_time() - began
            job.audio_seconds += len(pcm) / engines.SAMPLE_RATE
            cues.append(Cue(job=job, index=i, person_id=speech.person_id, speaker=speech.name, start=start,
                            end=end, text=text))
        job.speeches_done = i
        job.save(update_fields=["speeches_done", "cpu_seconds", "audio_seconds", "updated_at"])
    with transaction.atomic():
        job.cues.all().delete()
        Cue.objects.bulk_create(cues)
        _finish(job, JobState.DONE)
        transaction.on_commit(lambda: cues_changed.send(sender=CaptionJob, meeting_id=job.meeting_id))
        return job
