"""Group names and broadcasting of log events, always after the database commit.

A rolled-back service call never reaches a client (Zulip's rule). Members receive the full event
in `meeting_group`; the anonymous public receives only `public_payload` in `public_group`.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def meeting_group(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def public_group(meeting_id: int) -> str:
    return f"public-{meeting_id}"


def person_group(meeting_id: int, person_id: int) -> str:
    return f"meeting-{meeting_id}-person-{person_id}"


def event_message(event: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "meeting": event.meeting_id,
        "seq": event.seq,
        "event": event.type,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "payload": event.payload,
        # What the public may see of this event (None: nothing). Public outputs fed from the member
        # stream, such as the recording's chapters, take it from here rather than re-deciding it.
        "public": event.public_payload,
    }


def public_event_message(event: Any) -> dict[str, Any] | None:
    if event.public_payload is None:
        return None
    return {"type": "event", "meeting": event.meeting_id, "seq": event.seq, "event": event.type, "at": event.at.isoformat(),
            "payload": event.public_payload, "prev_public_seq": getattr(event, "prev_public_seq", None)}


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the event is already committed; clients recover it with ?after=<seq>
        log.exception("broadcast to %s failed", group)


def broadcast_event_on_commit(event: Any) -> None:
    """Tell members and the public about a committed event. Consumers forward it as `event`."""
    member_msg = {"type": "log.event", "event": event_message(event)}
    public_msg = public_event_message(event)
    meeting_id = event.meeting_id

    def send() -> None:
        _send(meeting_group(meeting_id), member_msg)
        if public_msg is not None:
            _send(public_group(meeting_id), {"type": "log.event", "event": public_msg})
        for listener in list(_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")

    transaction.on_commit(send)


# In-process listeners (e.g. the media worker in the embedded mode, tests counting broadcasts).
_listeners: list[Any] = []


def add_listener(fn: Any) -> None:
    _listeners.append(fn)


def remove_listener(fn: Any) -> None:
    if fn in _listeners:
        _listeners.remove(fn)
