"""The bridge between the app and member media: the media worker (mediaworker/) calls it with the
members' messages that the consumers relay and with the floor it derives from the meeting log.

Free of database code and of the app's imports on purpose: the media owner may run in its own
process (DESIGN.md §5), reached through the channel layer, and it must never decide procedure.

Contract for client messages (client → server, already envelope-validated by the consumer)::

    await handle_client_message(meeting_id, person_id, "media.offer", {"sdp": str, "type": "offer"})
        -> {"type": "media.answer", "sdp": str}
    await handle_client_message(meeting_id, person_id, "media.audio_only", {"on": bool})
        -> {"type": "media.audio_only", "on": bool}
    await handle_client_message(meeting_id, person_id, "media.leave", {})
        -> {"type": "media.left"}

* Call it only for a person the app has checked may take part (seated member / deputy, meeting
  open to them): the gateway trusts ``person_id``.
* Bad input raises :class:`MediaError` (``code``, ``message``); map it to an ``error`` frame. The
  room and the member's existing media are unaffected.
* Offers must be complete (ICE gathering finished; the server does not trickle) and contain the
  member's own audio/video plus recvonly floor slots (see ``peer.py``). Send a new offer on the
  same connection to renegotiate (e.g. camera on); an offer from a new browser connection
  replaces the old one.
* A WebSocket disconnect should **not** call ``media.leave``: media is keyed by person, not by
  socket, so a reconnecting socket keeps the call. Call it when the member leaves the meeting.

Contract for the floor (derived from the committed log's live state)::

    await apply_routing(meeting_id, audio_from={speaker, chair}, video_from={speaker, chair},
                        audio_only=set())     # members the app forces to audio-only
    await close_meeting(meeting_id)            # meeting adjourned: every peer closed

Events from the media tier go to one :class:`MediaEvents` sink per process (``set_event_sink``);
the app implements it to append ``member.media`` to the log (``media_state`` with the measured
facts as ``reason``, ``degraded``), to push "who is talking" (``audio_level``, ≤ 5/s per member),
whose media each of a member's receiving slots carries (``slots``, by mid) and a member's media
turning before a loss counts (``health``, see ``room.py``). The default sink only logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from .errors import MediaError
from .room import MediaRoom

logger = logging.getLogger(__name__)

MESSAGE_TYPES = ("media.offer", "media.audio_only", "media.leave")


class MediaEvents(Protocol):
    async def media_state(self, meeting_id: int, person_id: int, state: dict[str, bool], reason: str = "") -> None: ...
    async def health(self, meeting_id: int, person_id: int, health: dict[str, Any]) -> None: ...
    async def audio_level(self, meeting_id: int, person_id: int, level_dbov: int) -> None: ...
    async def degraded(self, meeting_id: int, person_id: int, reason: str) -> None: ...
    async def slots(self, meeting_id: int, person_id: int, slots: dict[str, int | None]) -> None: ...


class LoggingMediaEvents:
    """Default sink: log what the app would record."""

    async def media_state(self, meeting_id: int, person_id: int, state: dict[str, bool], reason: str = "") -> None:
        logger.info("meeting %s member %s media %s (%s)", meeting_id, person_id, state, reason)

    async def health(self, meeting_id: int, person_id: int, health: dict[str, Any]) -> None:
        logger.info("meeting %s member %s media turning %s", meeting_id, person_id, health)

    async def audio_level(self, meeting_id: int, person_id: int, level_dbov: int) -> None:
        logger.debug("meeting %s member %s level %s dBov", meeting_id, person_id, level_dbov)

    async def degraded(self, meeting_id: int, person_id: int, reason: str) -> None:
        logger.info("meeting %s member %s degraded to audio-only: %s", meeting_id, person_id, reason)

    async def slots(self, meeting_id: int, person_id: int, slots: dict[str, int | None]) -> None:
        logger.debug("meeting %s member %s slots %s", meeting_id, person_id, slots)


class RoomRegistry:
    """The media rooms of this process, one per meeting id."""

    def __init__(self) -> None:
        self._rooms: dict[int, MediaRoom] = {}
        self.events: MediaEvents = LoggingMediaEvents()

    def get(self, meeting_id: int) -> MediaRoom | None:
        room = self._rooms.get(meeting_id)
        return room if room is not None and not room.closed else None

    def get_or_create(self, meeting_id: int) -> MediaRoom:
        room = self.get(meeting_id)
        if room is None:
            # The callbacks read self.events at call time, so set_event_sink also reaches rooms
            # created before it.
            room = MediaRoom(
                meeting_id,
                on_media_state=lambda p, s, reason="": self.events.media_state(meeting_id, p, s, reason),
                on_health=lambda p, h: self.events.health(meeting_id, p, h),
                on_audio_level=lambda p, level: self.events.audio_level(meeting_id, p, level),
                on_degraded=lambda p, reason: self.events.degraded(meeting_id, p, reason),
                on_slots=lambda p, slots: self.events.slots(meeting_id, p, slots),
            )
            self._rooms[meeting_id] = room
        return room

    async def close(self, meeting_id: int) -> None:
        room = self._rooms.pop(meeting_id, None)
        if room is not None:
            await room.close()

    async def close_all(self) -> None:
        for meeting_id in list(self._rooms):
            await self.close(meeting_id)

    def __contains__(self, meeting_id: object) -> bool:
        return isinstance(meeting_id, int) and self.get(meeting_id) is not None


rooms = RoomRegistry()


def set_event_sink(sink: MediaEvents) -> None:
    rooms.events = sink


async def handle_client_message(
    meeting_id: int, person_id: int, msg_type: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Handle one media message from a member; see the module docstring for the contract."""
    _check_id("meeting_id", meeting_id)
    _check_id("person_id", person_id)
    if not isinstance(payload, dict):
        raise MediaError("bad_payload", "payload must be an object")
    if msg_type == "media.offer":
        sdp, sdp_type = payload.get("sdp"), payload.get("type", "offer")
        if not isinstance(sdp, str) or not isinstance(sdp_type, str):
            raise MediaError("bad_payload", "media.offer needs string fields sdp and type")
        answer = await rooms.get_or_create(meeting_id).handle_offer(person_id, sdp, sdp_type)
        return {"type": "media.answer", "sdp": answer["sdp"]}
    if msg_type == "media.audio_only":
        on = payload.get("on")
        if not isinstance(on, bool):
            raise MediaError("bad_payload", "media.audio_only needs a boolean field on")
        room = rooms.get(meeting_id)
        if room is None or person_id not in room.peers:
            raise MediaError("not_connected", "send media.offer first")
        await room.set_audio_only(person_id, on)
        return {"type": "media.audio_only", "on": on}
    if msg_type == "media.leave":
        room = rooms.get(meeting_id)
        if room is not None:
            await room.remove_member(person_id)
        return {"type": "media.left"}
    raise MediaError("unknown_type", f"unknown media message type {msg_type!r}")


async def apply_routing(
    meeting_id: int,
    audio_from: Iterable[int],
    video_from: Iterable[int],
    audio_only: Iterable[int] = (),
) -> None:
    """Set the floor of a meeting: who is heard, who is seen, who gets no video (app-imposed).

    Creates the room if needed, so the floor can be set before the first member connects.
    Members' own audio-only choices and RTCP-triggered degradation are kept in addition.
    """
    _check_id("meeting_id", meeting_id)
    room = rooms.get_or_create(meeting_id)
    await room.set_floor(audio_from, video_from, audio_only=audio_only)


async def close_meeting(meeting_id: int) -> None:
    await rooms.close(meeting_id)


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MediaError("bad_payload", f"{name} must be a non-negative int")
