"""The stream watchdog outside the media worker: it notices a public stream that stopped because
the worker producing it died (the bridge's own watchdog dies with it) and logs `stream.state`, so
the minutes show when the public could not follow. Run it as `manage.py watch_streams` beside the
media workers; it reads only the database and the files under LIVESTREAM_ROOT."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from meetings.models import Meeting, MeetingEvent
from meetings.services.meetings import stream_report
from meetings.state import MeetingState

from .health import last_output_at, stall_limit, stream_dir, stream_should_run


@dataclass(frozen=True)
class StreamCheck:
    meeting_id: int
    up: bool
    silent_for: float
    logged: bool  # whether this check wrote a stream.state event


def _in_session_since(meeting_id: int) -> float:
    """When the public last started to expect a stream: opened or resumed."""
    at = (MeetingEvent.objects.filter(meeting_id=meeting_id, type__in=("meeting.opened", "meeting.resumed"))
          .order_by("-seq").values_list("at", flat=True).first())
    return at.timestamp() if at else time.time()


def stream_check_all(*, now: float | None = None) -> list[StreamCheck]:
    """Check every meeting in session whose public should be following (doors open, no
    `no_public_stream` mode); log the stream down when no segment came for a few segment lengths,
    and up when segments come again."""
    if not settings.LIVESTREAM_ENABLED:
        return []
    now = time.time() if now is None else now
    checks = []
    for meeting_id, state in Meeting.objects.filter(state=MeetingState.IN_SESSION).values_list("id", "live_state"):
        if not stream_should_run(doors_closed=bool(state.get("doors", {}).get("closed")),
                                 mode=state.get("meeting", {}).get("mode") or "normal"):
            continue  # the public is lawfully not following: not a stream failure
        silent_for = now - (last_output_at(stream_dir(meeting_id)) or _in_session_since(meeting_id))
        up = silent_for <= stall_limit()
        reason = ("public segments flowing" if up else
                  f"no public segment for {silent_for:.0f} s (the media worker or its stream composer is down)")
        logged = stream_report(meeting_id=meeting_id, up=up, reason=reason)
        checks.append(StreamCheck(meeting_id=meeting_id, up=up, silent_for=silent_for, logged=logged))
    return checks
