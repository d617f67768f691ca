"""Meeting ended -> the captions job is queued in that request; a worker runs it off the request
path once the recording is finalised (or after waiting CAPTIONS_RECORDING_WAIT for it): the
management command in production, a child process of the web server in the embedded default."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.management import CommandError, call_command

from captions import embedded, worker
from captions.models import CaptionJob, JobState
from captions.services import captions_approve, captions_queue
from minutes.models import MinutesRecord
from tests.captions.helpers import done_job, with_recording
from tests.factories import make_council, make_meeting, run, start_meeting


@pytest.fixture
def council(settings, tmp_path):
    settings.LIVESTREAM_ROOT = tmp_path
    settings.CAPTIONS_ENGINE = "pocketsphinx"
    return make_council(seats=3, slug="capw")


def _ended(council, capture):
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    with capture(execute=True):
        run(council.chair, meeting, "meeting.end")
    return meeting


@pytest.mark.django_db
def test_ending_a_meeting_queues_its_job_and_nothing_waits_for_it(council, django_capture_on_commit_callbacks):
    meeting = _ended(council, django_capture_on_commit_callbacks)
    job = CaptionJob.objects.get(meeting=meeting)
    assert job.state == JobState.QUEUED and job.queued_at is not None and job.started_at is None
    assert MinutesRecord.objects.get(meeting=meeting).status == "published"  # the minutes did not wait


@pytest.mark.django_db
def test_the_worker_waits_for_the_recording_to_be_finalised(council, settings, django_capture_on_commit_callbacks):
    settings.CAPTIONS_RECORDING_WAIT = 3600
    meeting = _ended(council, django_capture_on_commit_callbacks)
    with_recording(meeting, finalised=False)  # the composer is still writing its last segment
    assert worker.run_once() is None
    assert CaptionJob.objects.get(meeting=meeting).state == JobState.QUEUED
    with_recording(meeting, finalised=True)
    job = worker.run_once()
    assert job is not None and job.meeting_id == meeting.id
    assert job.state == JobState.UNAVAILABLE and "no public recording" in job.error  # the playlist had no segment
    assert worker.run_once() is None  # nothing left


@pytest.mark.django_db
def test_a_recording_that_never_ends_is_transcribed_after_the_wait(council, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.CAPTIONS_RECORDING_WAIT = 0  # e.g. the media worker died before it could finalise it
    meeting = _ended(council, django_capture_on_commit_callbacks)
    with_recording(meeting, finalised=False)
    job = worker.run_once()
    assert job is not None and job.meeting_id == meeting.id and job.state == JobState.UNAVAILABLE


@pytest.mark.django_db
def test_the_command_runs_the_ready_jobs(council, settings, django_capture_on_commit_callbacks):
    settings.CAPTIONS_ENGINE = "none"
    meetings = [_ended(council, django_capture_on_commit_callbacks) for _ in range(2)]
    for m in meetings:
        with_recording(m)
    out = io.StringIO()
    call_command("run_captions_worker", "--once", stdout=out)
    assert out.getvalue().splitlines() == [f"meeting {m.id}: unavailable: no speech-to-text engine is configured "
                                           "(CAPTIONS_ENGINE=none)" for m in meetings]


@pytest.mark.django_db
def test_approved_captions_are_not_queued_or_run_again(council, settings):
    meeting = make_meeting(council, items=1)
    with_recording(meeting)
    done_job(meeting, [("Medlem 1", 1.0, 2.0, "hello")])
    captions_approve(user=council.clerk, meeting_id=meeting.id)
    assert captions_queue(meeting_id=meeting.id).state == JobState.DONE
    with pytest.raises(CommandError, match="approved"):
        call_command("transcribe_meeting", str(meeting.id), stdout=io.StringIO())
    assert CaptionJob.objects.get(meeting=meeting).cues.get().text == "hello"


def _child_env(settings, tmp_path) -> dict[str, str]:
    """The environment of a worker process on this test's database and stream folder."""
    import os

    from django.db import connection

    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    if db["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        login = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env.update(LIVESTREAM_ROOT=str(tmp_path), CAPTIONS_ENGINE="pocketsphinx", CAPTIONS_WORKER_POLL="0.2")
    return env


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_process_runs_a_queued_job(council, settings, tmp_path):
    """The embedded default: the web server starts the worker as its child process (config/server.py;
    a process, as the engines hold the GIL), which picks up a job queued before it started, too."""
    settings.CAPTIONS_IN_PROCESS = True
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    run(council.chair, meeting, "meeting.end")  # outside a test transaction: the listener has queued it
    assert CaptionJob.objects.get(meeting=meeting).state == JobState.QUEUED
    with_recording(meeting)
    child = embedded.start_embedded(env=_child_env(settings, tmp_path))
    try:
        assert child is not None and embedded.start_embedded() is child  # one per process
        deadline = time.monotonic() + 120
        while CaptionJob.objects.get(meeting=meeting).state in (JobState.QUEUED, JobState.RUNNING):
            assert child.poll() is None, "the worker process ended"
            assert time.monotonic() < deadline, "the embedded worker never ran the job"
            time.sleep(0.2)
        # It yields the cores to the web server's live meetings: niceness 15 above its parent's,
        # set as it starts (it is still running, waiting for the next job).
        wanted = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 15)
        while os.getpriority(os.PRIO_PROCESS, child.pid) != wanted:
            assert time.monotonic() < deadline, os.getpriority(os.PRIO_PROCESS, child.pid)
            time.sleep(0.2)
    finally:
        embedded.stop_embedded()
    assert child.poll() is not None
    assert CaptionJob.objects.get(meeting=meeting).state == JobState.UNAVAILABLE


def test_the_embedded_worker_is_off_with_a_separate_worker(settings):
    settings.CAPTIONS_IN_PROCESS = False
    assert embedded.start_embedded() is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_job(council):
    """Workers claiming at the same moment (threads with their own connections, as processes would
    have): each ready job goes to exactly one of them."""
    import threading

    from django.db import connection

    meetings = [make_meeting(council, items=1) for _ in range(3)]
    for m in meetings:
        captions_queue(meeting_id=m.id)
        with_recording(m)
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all() -> None:
        try:
            barrier.wait(timeout=30)
            while (job := worker.claim()) is not None:
                with lock:
                    claimed.append(job.meeting_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == sorted(m.id for m in meetings)
    assert set(CaptionJob.objects.values_list("state", flat=True)) == {JobState.RUNNING}


@pytest.mark.django_db
def test_the_worker_process_ends_with_the_web_server(settings, tmp_path):
    """Killed or not, a web server that is gone takes its worker process with it (`--parent`)."""
    import os
    import subprocess
    import sys

    server = ("import os, subprocess, sys\n"
              "child = subprocess.Popen([sys.executable, 'manage.py', 'run_captions_worker', '--parent', "
              "str(os.getpid())])\n"
              "print(child.pid, flush=True)\n"
              "os._exit(0)\n")  # gone at once, as if killed: no atexit, no signal to the child
    out = subprocess.run([sys.executable, "-c", server], cwd=embedded.MANAGE.parent, env=_child_env(settings, tmp_path),
                         capture_output=True, text=True, timeout=60, check=True)
    child = int(out.stdout.split()[0])
    deadline = time.monotonic() + 60
    while True:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break  # ended (reaped by init)
        assert time.monotonic() < deadline, "the worker outlived its web server"
        time.sleep(0.2)
