"""The job's states (unavailable, failed: never raising), the public captions track and the
transcript page (only for a public meeting with a recording and finished captions)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from captions.models import CaptionJob, Cue, JobState
from captions.services import captions_transcribe
from livestream.health import stream_dir
from tests.factories import make_council, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(settings, tmp_path):
    settings.LIVESTREAM_ROOT = tmp_path
    return make_meeting(make_council(seats=3, slug="capj"), items=1)


def _with_recording(meeting) -> None:
    folder = stream_dir(meeting.id)
    folder.mkdir(parents=True)
    (folder / "recording.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")


def _done(meeting) -> CaptionJob:
    job = CaptionJob.objects.create(meeting=meeting, state=JobState.DONE, engine="pocketsphinx")
    Cue.objects.create(job=job, index=1, person_id=1, speaker="Medlem 1", start=65.4, end=70.0,
                       text="we need more money for the schools")
    Cue.objects.create(job=job, index=2, person_id=2, speaker="Medlem 2", start=71.0, end=72.0, text="")
    return job


def test_it_says_captions_are_unavailable_with_no_engine(meeting, settings):
    settings.CAPTIONS_ENGINE = "none"
    job = captions_transcribe(meeting_id=meeting.id)
    assert job.state == JobState.UNAVAILABLE and "CAPTIONS_ENGINE=none" in job.error


def test_it_says_faster_whisper_needs_its_package_and_model(meeting, settings, tmp_path):
    settings.CAPTIONS_ENGINE = "faster_whisper"
    settings.CAPTIONS_MODEL_DIR = str(tmp_path / "no-such-model")
    job = captions_transcribe(meeting_id=meeting.id)
    assert job.state == JobState.UNAVAILABLE
    assert "faster-whisper" in job.error or "CAPTIONS_MODEL_DIR" in job.error


def test_it_says_a_meeting_without_a_recording_has_no_captions(meeting, settings):
    settings.CAPTIONS_ENGINE = "pocketsphinx"
    job = captions_transcribe(meeting_id=meeting.id)
    assert job.state == JobState.UNAVAILABLE and "no public recording" in job.error


def test_a_failing_job_records_its_error_instead_of_raising(meeting, settings):
    settings.CAPTIONS_ENGINE = "pocketsphinx"
    _with_recording(meeting)
    # A damaged segment log that names a segment file which is not a recording: a real failure.
    folder = stream_dir(meeting.id)
    (folder / "seg_00001.ts").write_bytes(b"not mpeg-ts")
    (folder / "segments.jsonl").write_text('{"name": "seg_00001.ts", "seq": 1, "duration": 1.0, "open": true, '
                                           '"epoch": 0, "start": "not a time"}\n')
    job = captions_transcribe(meeting_id=meeting.id)
    assert job.state == JobState.FAILED and "ValueError" in job.error and job.finished_at


def test_the_command_reports_the_job(meeting, settings):
    settings.CAPTIONS_ENGINE = "none"
    out = io.StringIO()
    call_command("transcribe_meeting", str(meeting.id), stdout=out)
    assert f"meeting {meeting.id}: unavailable" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("transcribe_meeting", "999999", stdout=out)


def test_it_serves_the_captions_of_a_public_recording(meeting):
    _with_recording(meeting)
    _done(meeting)
    response = Client().get(f"/meetings/{meeting.id}/captions.vtt")
    assert response.status_code == 200 and response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == ("WEBVTT\n\nspeech-1\n00:01:05.400 --> 00:01:10.000\n"
                                         "<v Medlem 1>we need more money for the schools</v>\n")


@pytest.mark.parametrize("missing", ["job", "recording", "notice", "finished"])
def test_it_has_no_captions_without_all_it_needs(meeting, missing):
    if missing != "recording":
        _with_recording(meeting)
    if missing != "job":
        job = _done(meeting)
        if missing == "finished":
            job.state = JobState.RUNNING
            job.save()
    if missing == "notice":
        draft = make_meeting(make_council(seats=3, slug="capd"), items=1, publish=False)
        _with_recording(draft)
        CaptionJob.objects.filter(meeting=meeting).update(meeting=draft)
        meeting = draft
    for url in (f"/meetings/{meeting.id}/captions.vtt", f"/meetings/{meeting.id}/transcript/"):
        assert Client().get(url).status_code == 404, (missing, url)


def test_the_transcript_names_each_speaker_and_links_to_the_moment(meeting):
    _with_recording(meeting)
    _done(meeting)
    html = Client().get(f"/meetings/{meeting.id}/transcript/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/meetings/{meeting.id}/?t=65"' in html and "00:01:05" in html
    assert "Medlem 1" in html and "we need more money for the schools" in html
    assert "Medlem 2" not in html  # nothing recognised, no entry


@pytest.mark.parametrize(("lang", "words"), [("nb", "Automatisk tekstet"), ("nn", "Automatisk teksta")])
def test_the_transcript_is_translated(meeting, lang, words):
    _with_recording(meeting)
    _done(meeting)
    client = Client()
    client.cookies["django_language"] = lang
    html = client.get(f"/meetings/{meeting.id}/transcript/").content.decode()
    assert words in html and "Transcript" not in html


def test_the_clerk_sees_the_job_its_progress_and_its_error(meeting, settings, django_capture_on_commit_callbacks):
    from meetings.models import Membership, Role
    from tests.factories import run

    council_body = meeting.body
    clerk = Membership.objects.get(body=council_body, role=Role.CLERK).person.user
    chair = Membership.objects.get(body=council_body, role=Role.CHAIR).person.user
    run(chair, meeting, "meeting.open")
    with django_capture_on_commit_callbacks(execute=True):
        run(chair, meeting, "meeting.end")
    client = Client(HTTP_ACCEPT_LANGUAGE="nb")
    client.force_login(clerk)
    url = f"/clerk/meetings/{meeting.id}/"
    assert "Teksting: <strong>I kø</strong>" in client.get(url).content.decode()  # queued as the meeting ended
    settings.CAPTIONS_ENGINE = "none"
    captions_transcribe(meeting_id=meeting.id)
    page = client.get(url).content.decode()
    assert "Teksting: <strong>Ikke tilgjengelig</strong>" in page
    job = CaptionJob.objects.get(meeting=meeting)
    job.state, job.error, job.speeches_done, job.speeches_total = JobState.DONE, "", 2, 2
    job.save()
    page = client.get(url).content.decode()
    assert "2 av 2 innlegg" in page and f"/meetings/{meeting.id}/transcript/" in page
    assert f'href="/clerk/meetings/{meeting.id}/captions/">Rett tekstingen' in page
