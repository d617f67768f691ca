"""A public meeting with a recording and finished captions, for the search tests."""

from __future__ import annotations

import pytest

from captions.models import CaptionJob, Cue, JobState
from captions.signals import cues_changed
from livestream.health import stream_dir
from tests.factories import make_council, make_meeting


def with_recording(meeting) -> None:
    folder = stream_dir(meeting.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recording.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")


def with_cues(meeting, cues: list[tuple[str, float, float, str]], capture) -> CaptionJob:
    """A finished captions job with `cues` (speaker, start, end, text), announced as the captions
    service does (`cues_changed` after the commit)."""
    job = CaptionJob.objects.create(meeting=meeting, state=JobState.DONE, engine="pocketsphinx")
    for index, (speaker, start, end, text) in enumerate(cues, start=1):
        Cue.objects.create(job=job, index=index, person_id=index, speaker=speaker, start=start, end=end, text=text)
    with capture(execute=True):
        cues_changed.send(sender=None, meeting_id=meeting.id)
    return job


@pytest.fixture
def recorded(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """A public meeting with a recording and two speeches captioned."""
    settings.LIVESTREAM_ROOT = tmp_path
    meeting = make_meeting(make_council(seats=3, slug="srch"), items=1)
    with_recording(meeting)
    with_cues(meeting, [("Medlem 1", 65.4, 70.0, "we need more money for the schools"),
                        ("Medlem 2", 71.0, 75.0, "Skolene i Ålesund får nye tak")], django_capture_on_commit_callbacks)
    return meeting
