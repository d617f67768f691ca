"""When the index of a meeting is refreshed: after its minutes are published or corrected (the log's
`minutes.published` and `minutes.correction`, a decision released among them), and after its public
captions change (`captions.signals.cues_changed`). Both run after the change has committed."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

REINDEX_ON = frozenset({"minutes.published", "minutes.correction"})


def on_event(event: Any) -> None:
    """A meetings.events listener: called on commit with each logged event."""
    if event.type in REINDEX_ON:
        _reindex(event.meeting_id)


def on_cues_changed(sender: Any, *, meeting_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: _reindex(meeting_id))


def _reindex(meeting_id: int) -> None:
    from .services import search_reindex_meeting

    try:
        search_reindex_meeting(meeting_id=meeting_id)
    except Exception:  # the captions job and the minutes stand; `manage.py search_reindex` catches up
        log.exception("search index of meeting %s not refreshed", meeting_id)
