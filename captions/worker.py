"""The captions worker: runs queued jobs off the request path, one at a time.

A job is queued when its meeting ends (listeners.py). It is ready once the composer has finalised
the recording (`recording_finalised`: the playlist ends), or, if that never happens (no stream, a
media worker that died), after CAPTIONS_RECORDING_WAIT seconds; it then transcribes what there is
(or ends "unavailable" with no recording). Claiming a job is one conditional write (queued ->
running), so two workers never run the same job; on PostgreSQL the candidates are read with
`SELECT ... FOR UPDATE SKIP LOCKED`, so a worker skips a job another is claiming instead of waiting.

- Embedded default (`make run`): `embedded.start_embedded()` starts this as a child process of the
  web server, from config/server.py (a process: the engines hold the GIL while they decode).
- Production: `python manage.py run_captions_worker` (one or more processes, any host with the
  database and LIVESTREAM_ROOT).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from . import conf
from .models import CaptionJob, JobState
from .recording import recording_finalised
from .services import captions_transcribe

log = logging.getLogger(__name__)

_wake = threading.Event()  # set to end a wait between looks at once (the worker is told to stop)


def wake() -> None:
    _wake.set()


def _ready(job: CaptionJob, now: dt.datetime) -> bool:
    if recording_finalised(job.meeting_id):
        return True
    since = job.queued_at or job.updated_at
    return (now - since).total_seconds() >= conf.recording_wait()


def claim() -> CaptionJob | None:
    """Take the oldest ready queued job for this worker (its state running), or None."""
    now = timezone.now()
    with transaction.atomic():
        queued = CaptionJob.objects.filter(state=JobState.QUEUED).order_by("queued_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        for job in queued[:50]:
            if not _ready(job, now):
                continue
            # The conditional write is the claim on every database (SQLite has no row locks).
            if CaptionJob.objects.filter(id=job.id, state=JobState.QUEUED).update(
                    state=JobState.RUNNING, started_at=now):
                job.state = JobState.RUNNING
                return job
    return None


def run_once() -> CaptionJob | None:
    """Claim a ready job and run it to its end (done, failed or unavailable); None if none was ready."""
    job = claim()
    if job is None:
        return None
    log.info("transcribing meeting %s", job.meeting_id)
    return captions_transcribe(meeting_id=job.meeting_id)


def run_forever(stop: threading.Event, *, poll: float | None = None) -> None:
    """Run jobs until `stop` is set; between them, wait `poll` seconds (or until woken)."""
    interval = conf.worker_poll() if poll is None else poll
    while not stop.is_set():
        try:
            close_old_connections()
            done = run_once()
        except Exception:  # the database away for a moment: try again at the next poll
            log.exception("captions worker")
            done = None
        if done is None:
            _wake.wait(interval)
            _wake.clear()
