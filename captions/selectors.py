"""What the public may read of a meeting's captions: only a public meeting's, only with a
recording, only from a finished job (a half-done run is not shown)."""

from __future__ import annotations

from meetings import visibility
from meetings.models import Meeting

from . import conf
from .models import CaptionJob, Cue, JobState
from .recording import recording_exists


def public_cues(*, meeting_id: int) -> tuple[Meeting, list[Cue]] | None:
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None or not visibility.meeting_is_public(meeting.state) or not recording_exists(meeting_id):
        return None
    job = CaptionJob.objects.filter(meeting=meeting, state=JobState.DONE).first()
    if job is None:
        return None
    return meeting, [cue for cue in job.cues.all() if cue.text.strip()]


def captions_available(*, meeting_id: int) -> bool:
    """Whether the meeting page should offer the captions track (`<track kind="captions">`)."""
    return public_cues(meeting_id=meeting_id) is not None


def captions_language() -> str:
    """The BCP 47 language of the cues, for the track's `srclang`: pocketsphinx's model is English;
    faster-whisper writes the language it is told (CAPTIONS_LANGUAGE: "no" is bokmål)."""
    if conf.engine_name() == "pocketsphinx":
        return "en"
    return "nn" if conf.language() == "nn" else "nb"


def job_of(*, meeting_id: int) -> CaptionJob | None:
    """The meeting's transcription job, for the clerk: its state, how far it got, and why not."""
    return CaptionJob.objects.filter(meeting_id=meeting_id).first()
