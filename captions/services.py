"""Transcribing a meeting's public recording into captions, off the live path, and the clerk's
corrections and approval of them.

`captions_queue` runs in the request that ends the meeting (listeners.on_event): one cheap write.
`captions_transcribe` is what the worker (worker.py) and `manage.py transcribe_meeting` run: it
never raises. Whatever goes wrong ends in the job's state and error text for the clerk, so the
minutes and the recording, which do not depend on it, are never held up by it.

A cue's text has versions (CueVersion), never overwritten: the engine's, then each correction by a
clerk of the meeting's body. A new run of the job keeps the clerk's work: a cue whose latest
version is a clerk's keeps it, the others get the new engine text as a new version. Approved
captions are final: the job is not run again (`captions_transcribe` leaves them as they are).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from meetings.exceptions import IllegalTransition, InvalidInput, NotFound
from meetings.models import Meeting, Person
from meetings.services import access

from . import engines, intervals
from .models import CaptionJob, Cue, CueVersion, JobState
from .recording import recording_get, voiced_span
from .signals import cues_changed

log = logging.getLogger(__name__)

MAX_CUE_TEXT = 20000  # characters: a quarter of an hour's speech is about 12,000


def _job(meeting_id: int) -> CaptionJob:
    job, _created = CaptionJob.objects.get_or_create(meeting_id=meeting_id)
    return job


def _finish(job: CaptionJob, state: JobState, error: str = "") -> CaptionJob:
    job.state, job.error, job.finished_at = state, error, timezone.now()
    job.save()
    return job


def _changed_on_commit(meeting_id: int) -> None:
    transaction.on_commit(lambda: cues_changed.send(sender=CaptionJob, meeting_id=meeting_id))


def captions_queue(*, meeting_id: int) -> CaptionJob:
    """The meeting ended: its job waits for a worker (worker.py), which starts once the recording
    is finalised. Approved captions are not queued again."""
    job = _job(meeting_id)
    if job.approved_at is None and job.state != JobState.RUNNING:
        job.state, job.error, job.queued_at = JobState.QUEUED, "", timezone.now()
        job.speeches_done = job.speeches_total = 0
        job.save()
    return job


def captions_transcribe(*, meeting_id: int) -> CaptionJob:
    """Transcribe each open-door speech of the meeting from its public recording, one cue per
    speech. The new texts replace the automatic ones once they are all there; the clerk's
    corrections stay. Approved captions are left alone (the job is returned as it is)."""
    if not Meeting.objects.filter(id=meeting_id).exists():
        raise Meeting.DoesNotExist(f"no meeting {meeting_id}")  # a caller's mistake, not a job state
    job = _job(meeting_id)
    if job.approved_at is not None:
        return job
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
            start, end = voiced_span(pcm, start, end)
            job.cpu_seconds += time.process_time() - began
            job.audio_seconds += len(pcm) / engines.SAMPLE_RATE
            cues.append(Cue(job=job, index=i, person_id=speech.person_id, speaker=speech.name, start=start,
                            end=end, text=text))
        job.speeches_done = i
        job.save(update_fields=["speeches_done", "cpu_seconds", "audio_seconds", "updated_at"])
    with transaction.atomic():
        # Locked, so that a correction saved meanwhile is either seen here or waits for this.
        CaptionJob.objects.select_for_update().filter(id=job.id).first()
        _replace_automatic(job, cues)
        _finish(job, JobState.DONE)
        _changed_on_commit(job.meeting_id)
        return job


def _replace_automatic(job: CaptionJob, cues: list[Cue]) -> None:
    """Lay a run's cues over the earlier run's: a cue the clerk corrected stays as it is, any other
    gets the new text as its next version (and the new times); a cue no longer in the run goes,
    unless the clerk corrected it."""
    now = timezone.now()
    old = {c.index: c for c in job.cues.all()}
    new_versions: list[CueVersion] = []
    for cue in cues:
        before = old.pop(cue.index, None)
        if before is not None and before.corrected:
            continue
        if before is None:
            cue.save()
            new_versions.append(CueVersion(cue=cue, number=1, text=cue.text, engine=job.engine, created_at=now))
            continue
        before.person_id, before.speaker, before.start, before.end = cue.person_id, cue.speaker, cue.start, cue.end
        if before.text != cue.text:
            before.text, before.version = cue.text, before.version + 1
            new_versions.append(CueVersion(cue=before, number=before.version, text=cue.text, engine=job.engine,
                                           created_at=now))
        before.save()
    Cue.objects.filter(id__in=[c.id for c in old.values() if not c.corrected]).delete()
    CueVersion.objects.bulk_create(new_versions)


def _editable_job(*, user: Any, meeting_id: int, lock: bool) -> CaptionJob:
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None:
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    access.require_clerk(user=user, body_id=meeting.body_id)
    jobs = CaptionJob.objects.select_for_update() if lock else CaptionJob.objects
    job = jobs.filter(meeting_id=meeting_id).first()
    if job is None or job.state != JobState.DONE:
        raise IllegalTransition("the captions are not finished yet: they can be corrected once the "
                                "transcription is done", code="captions_not_done")
    return job


def cue_correct(*, user: Any, meeting_id: int, index: int, text: str, version: int) -> Cue:
    """A clerk of the meeting's body saves a cue's text as its next version. `version` is the one
    the clerk corrected: if another version came since (another clerk, a new run), nothing is saved
    and the clerk is told, so that no correction is lost unseen. Saving the text unchanged records
    that the clerk checked it (it is no longer automatic). An empty text is allowed: the speech then
    has no caption (e.g. only noise was recognised)."""
    text = text.strip()
    with transaction.atomic():
        job = _editable_job(user=user, meeting_id=meeting_id, lock=True)
        if "\x00" in text:
            raise InvalidInput("the caption holds a character that is not text (NUL)", code="caption_not_text")
        if len(text) > MAX_CUE_TEXT:
            raise InvalidInput("the caption is too long: at most %(max)s characters, this one has %(length)s",
                               params={"max": MAX_CUE_TEXT, "length": len(text)}, code="caption_too_long")
        person = Person.objects.filter(user=user).first()  # staff may have none: their username then
        cue = Cue.objects.select_for_update().filter(job=job, index=index).first()
        if cue is None:
            raise NotFound("the captions have no speech %(index)s", params={"index": index})
        if cue.version != version:
            raise IllegalTransition("this caption was changed meanwhile (now version %(current)s, you corrected "
                                    "version %(version)s): compare your text with the latest and save again",
                                    params={"current": cue.version, "version": version}, code="stale_version")
        if cue.corrected and cue.text == text:
            raise InvalidInput("the text is unchanged: nothing to save", code="caption_unchanged")
        cue.version += 1
        cue.text, cue.corrected = text, True
        cue.save(update_fields=["text", "version", "corrected"])
        name = person.name if person else getattr(user, "username", "")
        CueVersion.objects.create(cue=cue, number=cue.version, text=text, author=person, author_name=name,
                                  created_at=timezone.now())
        _changed_on_commit(meeting_id)
    return cue


def captions_approve(*, user: Any, meeting_id: int) -> CaptionJob:
    """A clerk of the meeting's body approves the meeting's captions as they now are: none of them is
    marked "automatic" from then on, and the job is not run again."""
    with transaction.atomic():
        job = _editable_job(user=user, meeting_id=meeting_id, lock=True)
        person = Person.objects.filter(user=user).first()
        if job.approved_at is not None:
            raise IllegalTransition("the captions are already approved", code="captions_approved")
        job.approved_at, job.approved_by = timezone.now(), person
        job.approved_by_name = person.name if person else getattr(user, "username", "")
        job.save(update_fields=["approved_at", "approved_by", "approved_by_name", "updated_at"])
        _changed_on_commit(meeting_id)
    return job
