"""Retention of the public recordings: a meeting's segments, playlists and chapters are deleted
once the meeting ended more than RECORDING_RETENTION_DAYS ago. The event log and the minutes are
kept for ever; only the media under LIVESTREAM_ROOT goes."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from meetings.models import MeetingEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpiredRecording:
    meeting_id: int
    ended_at: dt.datetime
    path: Path
    files: int
    bytes: int

    def describe(self) -> str:
        return (f"meeting {self.meeting_id}: ended {self.ended_at.isoformat(timespec='seconds')}, "
                f"{self.files} files, {self.bytes} bytes in {self.path}")


def _recording_dirs(root: Path) -> dict[int, Path]:
    """Meeting id -> its directory; anything else under the root is not ours to delete."""
    if not root.is_dir():
        return {}
    return {int(p.name): p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name.isdigit()}


def recording_list_expired(*, days: int | None = None, now: dt.datetime | None = None) -> list[ExpiredRecording]:
    """Recordings of meetings whose `meeting.ended` event is older than `days` (default: the setting)."""
    days = settings.RECORDING_RETENTION_DAYS if days is None else days
    if days < 0:
        raise ValueError("the retention must be zero or more days")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    dirs = _recording_dirs(Path(settings.LIVESTREAM_ROOT))
    ended = (MeetingEvent.objects.filter(meeting_id__in=dirs, type="meeting.ended", at__lt=cutoff)
             .values_list("meeting_id", "at").order_by("meeting_id"))
    expired = []
    for meeting_id, ended_at in ended:
        files = [f for f in dirs[meeting_id].rglob("*") if f.is_file()]
        expired.append(ExpiredRecording(meeting_id=meeting_id, ended_at=ended_at, path=dirs[meeting_id],
                                        files=len(files), bytes=sum(f.stat().st_size for f in files)))
    return expired


def recording_delete(*, recording: ExpiredRecording) -> None:
    shutil.rmtree(recording.path)
    log.info("deleted the public recording of %s (retention %s days)", recording.describe(),
             settings.RECORDING_RETENTION_DAYS)
