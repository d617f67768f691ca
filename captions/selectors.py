"""What the public may read of a meeting's captions: only a public meeting's, only with a
recording, only from a finished job (a half-done run is not shown); each cue's latest version,
with `automatic` saying whether a clerk has looked at it. And what the clerk's editor reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet

from livestream.composer import SEGMENTS_LOG
from livestream.health import stream_dir
from meetings import visibility
from meetings.models import Meeting

from . import conf
from .models import CaptionJob, Cue, CueVersion, JobState
from .recording import recording_exists, recording_get


def public_cues(*, meeting_id: int) -> tuple[Meeting, list[Cue]] | None:
    """(meeting, cues) of a public meeting's finished captions, else None. Each cue has `.text` (the
    latest version's), `.start`, `.end`, `.speaker`, `.person_id`, `.index` and `.automatic`; a cue
    with no text (nothing recognised, or a clerk emptied it) is left out."""
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


def captions_approved(*, meeting_id: int) -> bool:
    """Whether a clerk approved the meeting's captions (the track is then no longer "automatic")."""
    return CaptionJob.objects.filter(meeting_id=meeting_id, approved_at__isnull=False).exists()


def _with_versions(cues: QuerySet[Cue]) -> QuerySet[Cue]:
    return cues.select_related("job").prefetch_related(
        Prefetch("versions", queryset=CueVersion.objects.order_by("number")))


def editor_cues(*, meeting_id: int) -> list[Cue]:
    """Every cue of the meeting's job, empty ones too, each with its versions, for the clerk."""
    return list(_with_versions(Cue.objects.filter(job__meeting_id=meeting_id)))


def cue_with_versions(*, cue_id: int) -> Cue:
    return _with_versions(Cue.objects.filter(id=cue_id)).get()


def recording_moments(*, meeting_id: int, moments: Mapping[Hashable, dt.datetime]) -> dict[Hashable, int]:
    """Seconds into the public recording of each wall-clock moment that the recording holds, for a
    link `?t=<seconds>` to the meeting page: only for a public meeting with a recording, only a
    moment inside a recorded segment (so never in a closed part, which the recording leaves out,
    nor while the stream was down)."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None or not visibility.meeting_is_public(meeting.state) or not recording_exists(meeting_id):
        return {}
    recording = recording_get(meeting_id)
    if recording is None:
        return {}
    found: dict[Hashable, int] = {}
    for key, at in moments.items():
        if any(s["start"] <= at < s["start"] + dt.timedelta(seconds=s["duration"]) for s in recording.segments):
            found[key] = int(recording.offset(at))
    return found


def recording_version(meeting_id: int) -> Any:
    """Changes whenever the recording does (its segment log's and playlist's size and time), for
    caches of pages that link into it."""
    folder = stream_dir(meeting_id)
    version: list[tuple[int, int] | None] = []
    for name in (SEGMENTS_LOG, "recording.m3u8"):
        try:
            stat = (folder / name).stat()
        except OSError:
            version.append(None)
            continue
        version.append((stat.st_size, stat.st_mtime_ns))
    return tuple(version)


def captions_language() -> str:
    """The BCP 47 language of the cues, for the track's `srclang`: pocketsphinx's model is English;
    faster-whisper writes the language it is told (CAPTIONS_LANGUAGE: "no" is bokmål)."""
    if conf.engine_name() == "pocketsphinx":
        return "en"
    return "nn" if conf.language() == "nn" else "nb"


def job_of(*, meeting_id: int) -> CaptionJob | None:
    """The meeting's transcription job, for the clerk: its state, how far it got, and why not."""
    return CaptionJob.objects.filter(meeting_id=meeting_id).first()
