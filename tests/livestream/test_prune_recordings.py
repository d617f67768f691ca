"""`manage.py prune_recordings`: the public recordings of meetings that ended more than
RECORDING_RETENTION_DAYS ago are deleted (and said so); everything else under LIVESTREAM_ROOT stays."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from livestream.retention import recording_list_expired
from meetings.services.log import log_verify
from tests.factories import make_council, make_meeting, run, start_meeting

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_settings")]


def recording(root: Path, meeting_id: int) -> Path:
    folder = root / str(meeting_id)
    folder.mkdir(parents=True)
    for n in range(3):
        (folder / f"seg_{n:05d}.ts").write_bytes(b"\x47" * 188 * (n + 1))
    (folder / "recording.m3u8").write_text("#EXTM3U\n")
    (folder / "chapters.vtt").write_text("WEBVTT\n")
    return folder


@pytest.fixture
def meetings(settings, tmp_path):
    """An ended meeting, one still in session, each with a recording on disk, and a stray folder."""
    settings.LIVESTREAM_ROOT = tmp_path
    council = make_council(seats=3, deputies=0, slug="ret")
    ended, running = make_meeting(council), make_meeting(council)
    for meeting in (ended, running):
        start_meeting(council, meeting)
    run(council.chair, ended, "meeting.end")
    (tmp_path / "not-a-meeting").mkdir()
    return ended, running, recording(tmp_path, ended.id), recording(tmp_path, running.id)


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_recordings", *args, stdout=out)
    return out.getvalue()


def test_it_deletes_only_recordings_of_meetings_ended_longer_ago_than_the_retention(settings, meetings, caplog):
    ended, _, ended_dir, running_dir = meetings
    settings.RECORDING_RETENTION_DAYS = 0  # the meeting ended a moment ago: already past a zero-day retention
    with caplog.at_level(logging.INFO, logger="livestream.retention"):
        out = prune()
    assert not ended_dir.exists()
    assert running_dir.exists() and len(list(running_dir.iterdir())) == 5
    assert (settings.LIVESTREAM_ROOT / "not-a-meeting").exists()
    assert f"deleted meeting {ended.id}: ended" in out and "5 files, 1143 bytes" in out
    assert "1 recording(s) deleted" in out
    assert [r.getMessage() for r in caplog.records if f"meeting {ended.id}" in r.getMessage()]
    assert log_verify(meeting_id=ended.id) > 0  # the log itself is untouched


def test_it_keeps_recordings_within_the_retention(settings, meetings):
    ended, _, ended_dir, _ = meetings
    settings.RECORDING_RETENTION_DAYS = 30
    assert "0 recording(s) deleted" in prune()
    assert ended_dir.exists()
    later = timezone.now() + dt.timedelta(days=31)
    assert [r.meeting_id for r in recording_list_expired(now=later)] == [ended.id]
    assert recording_list_expired(now=timezone.now() + dt.timedelta(days=29)) == []


def test_it_deletes_nothing_on_a_dry_run(settings, meetings):
    ended, _, ended_dir, _ = meetings
    out = prune("--dry-run", "--days", "0")
    assert f"would delete meeting {ended.id}" in out
    assert ended_dir.exists() and len(list(ended_dir.iterdir())) == 5


def test_it_refuses_a_negative_retention(meetings):
    with pytest.raises(CommandError, match="zero or more days"):
        prune("--days", "-1")


def test_it_does_nothing_without_a_livestream_root(settings, tmp_path):
    settings.LIVESTREAM_ROOT = tmp_path / "missing"
    assert "0 recording(s) deleted" in prune("--days", "0")
