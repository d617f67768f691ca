"""The public state of a meeting: one versioned document for any number of viewers (§ 11-5).

Built from the live state by the visibility policy (`meetings/visibility.py::state_document`), never
from member-only data: while the doors are closed only the fact, the legal ground and the item's
public title are shown. The document is keyed by the log's
sequence number, so it is built once per change however many viewers ask (in-process LRU here;
in production the JSON view sits behind the HTTP cache with the seq as ETag).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from . import visibility
from .models import Meeting

_cache: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 256


def build(meeting: Meeting) -> dict[str, Any]:
    """The document: the meeting's own public fields here, everything from the live state as the
    visibility policy gives it (`visibility.state_document`)."""
    s = meeting.live_state or {}
    doc: dict[str, Any] = {
        "seq": meeting.last_seq,
        "meeting": {"id": meeting.id, "title": meeting.title, "body": meeting.body.name, "form": meeting.form,
                    "state": meeting.state, "scheduled_start": meeting.scheduled_start.isoformat(),
                    "mode": s.get("meeting", {}).get("mode", "normal")},
        **visibility.state_document(s),
        "live_url": f"/live/{meeting.id}/index.m3u8",
    }
    return doc


def _cached(key: tuple[int, int]) -> dict[str, Any] | None:
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
        return cached


def public_state(meeting: Meeting) -> dict[str, Any]:
    key = (meeting.id, meeting.last_seq)
    cached = _cached(key)
    if cached is not None:
        return cached
    doc = build(meeting)
    with _lock:
        _cache[key] = doc
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return doc


def public_state_for(meeting_id: int, *, seq: int | None = None) -> dict[str, Any] | None:
    """The public document of a published meeting, or None. `seq` is the last_seq if already read.

    A hit costs one small query for the seq (none when given); only a miss loads the live state.
    """
    published = visibility.public_meetings(Meeting.objects.filter(id=meeting_id))
    if seq is None:
        seq = published.values_list("last_seq", flat=True).first()
        if seq is None:
            return None
    cached = _cached((meeting_id, seq))
    if cached is not None:
        return cached
    meeting = published.select_related("body").first()
    return public_state(meeting) if meeting else None
