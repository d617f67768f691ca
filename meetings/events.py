"""Channel-layer addresses and messages: group names, broadcasting of log events (always after the
database commit) and the requests to a meeting's media worker.

A rolled-back service call never reaches a client (Zulip's rule). Members receive the full event
in `meeting_group`; the anonymous public receives only `public_payload` in `public_group`.

The media worker (mediaworker/) sits above the domain: the domain names its address and the shape
of a request, and never imports it.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def meeting_group(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def public_group(meeting_id: int) -> str:
    return f"public-{meeting_id}"


def person_group(meeting_id: int, person_id: int) -> str:
    return f"meeting-{meeting_id}-person-{person_id}"


def media_worker_channel(*, worker: int) -> str:
    return f"media.w{worker}"


def meeting_media_channel(meeting_id: int) -> str:
    """The media worker that owns this meeting's member media: meeting m is pinned to worker
    m % MEDIA_WORKERS."""
    return media_worker_channel(worker=meeting_id % max(1, settings.MEDIA_WORKERS))


async def send_media_request(*, meeting_id: int, person_id: int, msg_type: str, payload: dict[str, Any],
                             reply_channel: str = "", request_id: Any = None) -> None:
    """Hand a member's `media.*` message to the meeting's media worker, which answers on
    `reply_channel` with a `media.message`. `adopt` (no reply) has it follow the meeting now."""
    layer = get_channel_layer()
    assert layer is not None  # the live sockets that send these run on the channel layer
    await layer.send(meeting_media_channel(meeting_id), {
        "type": "media.request", "meeting": meeting_id, "person": person_id, "msg_type": msg_type,
        "payload": payload, "reply_channel": reply_channel, "id": request_id})


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
    return {"type": "event", "meeting": event.meeting_id, "seq": event.seq, "event": event.type,
            "at": event.at.isoformat(), "payload": event.public_payload,
            "prev_public_seq": getattr(event, "prev_public_seq", None)}


def _with_patch(message: dict[str, Any] | None,
                patch: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    # Only live events carry the patch: it was computed as the event was written (state_patch.py);
    # a replay from the log has none, and the client asks for the state instead.
    if message is not None and patch is not None:
        message["state_patch"] = patch
    return message


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the event is already committed; clients recover it with ?after=<seq>
        log.exception("broadcast to %s failed", group)


def broadcast_event_on_commit(event: Any, *, state_patch: list[dict[str, Any]] | None = None,
                              public_state_patch: list[dict[str, Any]] | None = None,
                              personal_patches: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """Tell members and the public about a committed event. Consumers forward it as `event`, with the
    patch to the live state (members) or to the public state document (the public) as `state_patch`.
    `personal_patches` (person id -> ops) ride along in the members' group message: each member socket
    appends its own person's to the patch it sends (the `allowed` commands), and no one else's."""
    member_msg: dict[str, Any] = {"type": "log.event", "event": _with_patch(event_message(event), state_patch)}
    if personal_patches:
        member_msg["personal"] = personal_patches
    public_msg = _with_patch(public_event_message(event), public_state_patch)
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
