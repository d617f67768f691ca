"""The live meeting protocol's envelope: `{type, id, payload}` in, `ack`/`error`/`event` out.

Everything a socket sends is checked here before any service sees it (docs/protocol.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from .api_json import holds_lone_surrogate
from .commands import COMMANDS

# Types handled by the consumer itself rather than by a meeting command.
SESSION_TYPES = {"sync", "state", "ping"}
MEDIA_TYPES = {"media.offer", "media.audio_only", "media.leave"}
PUBLIC_TYPES = {"sync", "state", "ping"}
MAX_ID_LENGTH = 64


class ProtocolError(Exception):
    """`message` is a catalogue msgid; `params` fill its `%(name)s` placeholders (as DomainError's)."""

    def __init__(self, code: str, message: str, request_id: Any = None, *,
                 params: dict[str, Any] | None = None) -> None:
        self.msgid = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.code = code
        self.request_id = request_id

    def translated(self) -> str:
        words = gettext(self.msgid)
        return words % self.params if self.params else words


@dataclass(frozen=True)
class Message:
    type: str
    id: Any
    payload: dict[str, Any]


def parse(text: str | None, *, max_bytes: int, allowed: set[str] | None = None, within_rate: bool = True) -> Message:
    """The message in one frame, or ProtocolError naming the request when its id could be read.

    A frame over the rate limit (`within_rate` false) is refused with `rate_limited` whatever it
    holds, but still read as far as its id, so that the client learns which request was dropped.
    """
    try:
        msg = _parse(text, max_bytes=max_bytes, allowed=allowed)
    except ProtocolError as exc:
        if within_rate:
            raise
        request_id = exc.request_id
    else:
        if within_rate:
            return msg
        request_id = msg.id
    raise ProtocolError("rate_limited", "too many messages; slow down", request_id)


def _parse(text: str | None, *, max_bytes: int, allowed: set[str] | None) -> Message:
    if text is None:
        raise ProtocolError("binary_not_supported", "send JSON text frames")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError("too_large", "message is larger than %(max)s bytes", params={"max": max_bytes})
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep for the decoder
        raise ProtocolError("malformed_json", "message is not valid JSON text") from None
    if holds_lone_surrogate(text, data):  # the same check as the REST bodies' (api_json.py)
        raise ProtocolError("malformed_json", "message is not valid JSON text")
    if not isinstance(data, dict):
        raise ProtocolError("invalid_envelope", "message must be a JSON object {type, id, payload}")
    request_id = data.get("id")
    if request_id is not None and not (isinstance(request_id, (str, int)) and not isinstance(request_id, bool)
                                       and len(str(request_id)) <= MAX_ID_LENGTH):
        raise ProtocolError("invalid_envelope", "id must be a string or integer of at most %(max)s characters",
                            params={"max": MAX_ID_LENGTH})
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError("invalid_envelope", "type is required and must be a string", request_id)
    payload = data.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ProtocolError("invalid_envelope", "payload must be a JSON object", request_id)
    extra = set(data) - {"type", "id", "payload"}
    if extra:
        raise ProtocolError("invalid_envelope", "unknown envelope fields: %(fields)s", request_id,
                            params={"fields": ", ".join(sorted(extra))})
    known = SESSION_TYPES | MEDIA_TYPES | set(COMMANDS)
    if kind not in known:
        raise ProtocolError("unknown_type", "unknown message type %(type)s", request_id,
                            params={"type": repr(kind[:60])})
    if allowed is not None and kind not in allowed:
        raise ProtocolError("forbidden", "%(type)s is not allowed on this connection", request_id,
                            params={"type": kind})
    return Message(type=kind, id=request_id, payload=payload)


def ack(request_id: Any, result: Any, seq: int) -> dict[str, Any]:
    return {"type": "ack", "in_response": request_id, "result": result, "seq": seq}


def error(request_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "in_response": request_id, "error": {"code": code, "message": message}}
