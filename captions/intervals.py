"""Who spoke when, from the meeting's log: the speech intervals the captions are cut along.

A speech runs from `floor.granted` to `floor.ended`, or to whatever else ends it first (the next
grant, the item closing, the meeting pausing or ending). Only its open part counts: a speech
granted behind closed doors is left out, and the part of one that the doors closed on is cut off
where they closed (`projection.apply_doors`, the same fold the minutes use), so nothing from a
closed part is ever transcribed, even if a recording held it. Pure: records in, intervals out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from meetings import projection

# Events after which nobody holds the floor any longer, whatever the log says next.
FLOOR_ENDS = frozenset({"floor.ended", "item.closed", "item.deferred", "meeting.suspended", "meeting.adjourned",
                        "meeting.ended"})


@dataclass(frozen=True)
class Speech:
    person_id: int
    name: str
    start: dt.datetime
    end: dt.datetime


def speech_intervals(records: Iterable[dict[str, Any]], *, until: dt.datetime | None = None) -> list[Speech]:
    """The open-door speeches in `records` (log records: `type`, `payload`, `at` as an aware
    datetime), in time order. A speech still going at the end of the records ends at `until`
    (or is dropped without it)."""
    doors = projection.doors_initial()
    speeches: list[Speech] = []
    current: dict[str, Any] | None = None  # the open part of the speech in progress

    def finish(at: dt.datetime) -> None:
        nonlocal current
        if current is not None and at > current["start"]:
            speeches.append(Speech(person_id=current["person"], name=current["name"], start=current["start"],
                                   end=at))
        current = None

    for r in records:
        was_closed = bool(doors["doors"]["closed"])
        projection.apply_doors(doors, r)
        closed = bool(doors["doors"]["closed"])
        at, kind, payload = r["at"], r["type"], r["payload"]
        if closed and not was_closed:
            finish(at)  # the doors closed mid-speech: its open part ends here
        if kind == "floor.granted":
            finish(at)
            if not closed:
                current = {"person": int(payload["person"]), "name": payload["name"], "start": at}
        elif kind in FLOOR_ENDS:
            finish(at)
    if until is not None:
        finish(until)
    return speeches


def meeting_records(meeting_id: int) -> list[dict[str, Any]]:
    from meetings.models import MeetingEvent

    return [{"type": t, "payload": p, "at": at, "seq": seq} for t, p, at, seq in
            MeetingEvent.objects.filter(meeting_id=meeting_id).order_by("seq")
            .values_list("type", "payload", "at", "seq")]
