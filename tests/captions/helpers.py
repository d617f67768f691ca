"""A meeting run through the real services on a clock the test controls, for the captions tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from meetings import clock
from tests.factories import Council, run
from tests.helpers import close_doors


class SteppingClock:
    """Each log event one step after the one before, unless the test moves the clock on."""

    def __init__(self, start: dt.datetime, step: float = 0.01) -> None:
        self.now, self.step = start, dt.timedelta(seconds=step)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now

    def at(self, moment: dt.datetime) -> None:
        self.now = moment

    def replaying(self) -> Any:
        return clock.replaying(self)


def speak(council: Council, meeting: Any, user: Any) -> None:
    """`user` asks for the floor and the chair gives it."""
    run(user, meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")


def close_and_reopen(council: Council, meeting: Any, inside: Any) -> None:
    close_doors(council, meeting)
    inside()
    run(council.chair, meeting, "doors.open", reason="Ferdig")


def done_job(meeting: Any, cues: list[tuple[str, float, float, str]], *, engine: str = "pocketsphinx") -> Any:
    """A finished job as a run leaves it: a cue per (speaker, start, end, text), each with its
    engine version 1."""
    from django.utils import timezone

    from captions.models import CaptionJob, Cue, CueVersion, JobState

    job = CaptionJob.objects.create(meeting=meeting, state=JobState.DONE, engine=engine, finished_at=timezone.now())
    for i, (speaker, start, end, text) in enumerate(cues, start=1):
        cue = Cue.objects.create(job=job, index=i, person_id=i, speaker=speaker, start=start, end=end, text=text)
        CueVersion.objects.create(cue=cue, number=1, text=text, engine=engine, created_at=timezone.now())
    return job


def with_recording(meeting: Any, *, finalised: bool = True) -> None:
    """The files the composer leaves: a recording playlist (ended or still growing) and no segments."""
    from livestream.health import stream_dir

    folder = stream_dir(meeting.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recording.m3u8").write_text("#EXTM3U\n" + ("#EXT-X-ENDLIST\n" if finalised else ""))
