"""React to the log: when a meeting ends, its minutes are generated and (by default) published."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def on_event(event: Any) -> None:
    if event.type != "meeting.ended":
        return
    from meetings.exceptions import DomainError

    from .services import minutes_on_meeting_ended

    try:
        minutes_on_meeting_ended(meeting_id=event.meeting_id)
    except DomainError as exc:  # e.g. a tampered log: the record says why, the meeting is unaffected
        log.warning("minutes of meeting %s not published: %s", event.meeting_id, exc.message)
