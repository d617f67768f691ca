"""Is the public output of a meeting being produced? Read from what the public actually gets
(the live playlist is rewritten at every new segment), so any process that sees LIVESTREAM_ROOT
can tell, including one outside the media worker that produces the stream."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

STALL_SEGMENTS = 4  # segment lengths without a new public segment before the stream counts as down
NO_PUBLIC_STREAM = "no_public_stream"  # the meeting mode (only under an exemption profile)


def stream_should_run(*, doors_closed: bool, mode: str) -> bool:
    """Should the public stream carry the meeting now: the doors are open and the meeting's mode
    has a public stream. The one rule that the bridge's gate and watchdog (in the media worker) and
    the watchdog outside it ask; while it says no, a silent stream is no stream failure."""
    return not doors_closed and mode != NO_PUBLIC_STREAM


def stream_dir(meeting_id: int) -> Path:
    return Path(settings.LIVESTREAM_ROOT) / str(meeting_id)


def stall_limit(segment_seconds: float | None = None) -> float:
    return STALL_SEGMENTS * (segment_seconds or settings.LIVESTREAM_SEGMENT_SECONDS)


def last_output_at(out_dir: Path) -> float | None:
    """Wall time of the newest public segment, or None before the first one."""
    try:
        return (out_dir / "index.m3u8").stat().st_mtime
    except OSError:
        return None
