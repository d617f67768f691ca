"""The media owner of a meeting: a worker that holds the peer connections and follows the log.

Consumers never touch peer connections. They send each `media.*` message to the worker pinned to
the meeting (`events.meeting_media_channel`) through the channel layer, with their own channel as
the reply address (`events.send_media_request`); the worker answers there (`media.message`), so an
SDP answer finds the socket that asked, and a socket reconnect never drops the call (media is keyed
by person, not by socket).

The worker also joins each of its meetings' log groups and re-derives the floor from the live
state whenever an event changes it (floor granted/ended, chair changed, member left, audio-only,
recusal, doors, mode). It reports what it measures back through the services
(`member_media_report`), which write `member.media` to the log, and reports a member again when they
(re)join, since the join resets them to "connecting". It never decides procedure.

Embedded mode (in-memory channel layer): the workers run as tasks inside the daphne process,
started by asgi.py (embedded.py). Production (Redis): `manage.py run_media_worker --worker N` runs
worker N as its own process; meetings are pinned by `meeting_id % MEDIA_WORKERS`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from conference import gateway
from conference.errors import MediaError
from livestream.bridge import streams
from meetings import events, selectors
from meetings.services.attendance import member_media_report

log = logging.getLogger(__name__)
# The live state with its seq (selectors.LiveState): the public gate orders what it applies by the seq.
live_state = database_sync_to_async(selectors.meeting_live_state)

# Events after which who-hears-whom may have changed.
ROUTING_EVENTS = {
    "meeting.opened", "doors.closed", "doors.opened", "doors.debate_closed", "media.published", "meeting.chair_changed",
    "floor.granted", "floor.ended", "item.opened", "item.closed", "member.joined", "member.media", "conflict.ruled",
    "mode.changed", "meeting.resumed",
}


def routing_from_state(state: dict[str, Any]) -> tuple[set[int], set[int], set[int]]:
    """The floor model: everyone hears and sees the speaker and the chair; members who chose or
    were degraded to audio-only receive no video; a member recused from the item is not forwarded."""
    item = state.get("items", {}).get(state.get("current_item") or "", {})
    recused = {int(p) for p in item.get("recused", {})}
    floor_holders: set[int] = set()
    chair = state.get("meeting", {}).get("chair")
    if chair:
        floor_holders.add(int(chair))
    if state.get("floor"):
        floor_holders.add(int(state["floor"]["person"]))
    floor_holders -= recused
    audio_only = {int(p) for p, a in state.get("attendance", {}).items() if a.get("audio_only")}
    if state.get("meeting", {}).get("mode") == "audio_only":
        # Meeting-wide audio-only (only ever set under an exemption profile in force): no video at all.
        return floor_holders, set(), audio_only
    return floor_holders, set(floor_holders), audio_only


class AppMediaEvents:
    """What the media tier measures, written to the log through the services, and what is pushed to
    the members: the talking indicator and a member's media turning (`media.health`)."""

    async def media_state(self, meeting_id: int, person_id: int, state: dict[str, bool], reason: str = "") -> None:
        fields = {k: bool(v) for k, v in state.items() if k in ("sends_audio", "sends_video", "receives")}
        await database_sync_to_async(member_media_report)(
            meeting_id=meeting_id, person_id=person_id, reason=reason or "measured by the media server", **fields)

    async def health(self, meeting_id: int, person_id: int, health: dict[str, Any]) -> None:
        # Members only (the chair console shows it): how a member's media is turning before the
        # loss counts. Not logged: a dip shorter than the grace period is not a legal fact.
        await get_channel_layer().group_send(events.meeting_group(meeting_id), {
            "type": "media.message", "payload": {"type": "media.health", "person": person_id, **health}})

    async def degraded(self, meeting_id: int, person_id: int, reason: str) -> None:
        await database_sync_to_async(member_media_report)(
            meeting_id=meeting_id, person_id=person_id, audio_only=True, reason=reason)

    async def audio_level(self, meeting_id: int, person_id: int, level_dbov: int) -> None:
        await get_channel_layer().group_send(events.meeting_group(meeting_id), {
            "type": "media.message",
            "payload": {"type": "media.talking", "person": person_id, "level": level_dbov}})

    async def slots(self, meeting_id: int, person_id: int, slots: dict[str, int | None]) -> None:
        # Only that member's sockets: the mids are their own peer connection's.
        await get_channel_layer().group_send(events.person_group(meeting_id, person_id), {
            "type": "media.message", "payload": {"type": "media.slots", "slots": slots}})


class MediaWorker:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.layer = get_channel_layer()
        self.events_channel = ""
        self.meetings: set[int] = set()
        self._locks: dict[int, asyncio.Lock] = {}

    async def run(self) -> None:
        gateway.set_event_sink(AppMediaEvents())
        self.events_channel = await self.layer.new_channel()
        log.info("media worker listening on %s", self.channel)
        await asyncio.gather(self._serve_requests(), self._follow_log(), self._watch_publishers())

    async def _watch_publishers(self) -> None:
        """Tracks arrive after ICE and DTLS, not with the offer: re-derive the public mix when the
        set of members publishing changes."""
        seen: dict[int, Any] = {}
        while True:
            await asyncio.sleep(0.5)
            for meeting_id in [m for m in seen if m not in self.meetings]:
                del seen[meeting_id]  # ended meetings: a long-running worker must not keep them
            for meeting_id in list(self.meetings):
                room = gateway.rooms.get(meeting_id)
                publishing = room.public_tracks() if room is not None else {}
                if publishing != seen.get(meeting_id):
                    seen[meeting_id] = publishing
                    async with self._lock(meeting_id):
                        await self._refresh_routing(meeting_id)

    def _lock(self, meeting_id: int) -> asyncio.Lock:
        return self._locks.setdefault(meeting_id, asyncio.Lock())

    async def _serve_requests(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            asyncio.ensure_future(self._handle_request(message))

    async def _follow_log(self) -> None:
        while True:
            message = await self.layer.receive(self.events_channel)
            if message.get("type") == "log.event":
                asyncio.ensure_future(self._handle_event(message["event"]))

    async def _adopt(self, meeting_id: int) -> None:
        """First contact with a meeting: follow its log and set its floor."""
        if meeting_id in self.meetings:
            return
        self.meetings.add(meeting_id)
        await self.layer.group_add(events.meeting_group(meeting_id), self.events_channel)
        await self._refresh_routing(meeting_id)

    async def _handle_request(self, message: dict[str, Any]) -> None:
        meeting_id, reply_to, request_id = message.get("meeting"), message.get("reply_channel"), message.get("id")
        if message.get("msg_type") == "adopt":  # a participant connected: start following the meeting
            async with self._lock(meeting_id):
                await self._adopt(meeting_id)
            return
        try:
            async with self._lock(meeting_id):
                await self._adopt(meeting_id)
                result = await gateway.handle_client_message(meeting_id, message["person"], message["msg_type"],
                                                            message.get("payload") or {})
            reply = {**result, "in_response": request_id}
        except MediaError as exc:
            reply = {"type": "error", "in_response": request_id, "error": {"code": exc.code, "message": exc.message}}
        except Exception:  # keep the worker and every other call alive
            log.exception("media request failed")
            reply = {"type": "error", "in_response": request_id,
                     "error": {"code": "media_internal", "message": "the media server could not handle this"}}
        if reply_to:
            await self.layer.send(reply_to, {"type": "media.message", "payload": reply})

    async def _handle_event(self, event: dict[str, Any]) -> None:
        meeting_id = await self._meeting_of(event)
        if meeting_id is None:
            return
        kind = event["event"]
        if settings.LIVESTREAM_ENABLED:
            streams.on_event(meeting_id, event)  # the gate first, before anything that could wait
        async with self._lock(meeting_id):
            if kind == "meeting.ended":
                if settings.LIVESTREAM_ENABLED:
                    await streams.stop(meeting_id)
                await gateway.close_meeting(meeting_id)
                self.meetings.discard(meeting_id)
                await self.layer.group_discard(events.meeting_group(meeting_id), self.events_channel)
                return
            if kind == "member.left":
                await gateway.handle_client_message(meeting_id, int(event["payload"]["person"]), "media.leave", {})
            if kind in ("member.joined", "deputy.summoned"):
                # The join reset the member's media to "connecting" in the log; media connected before
                # it (or kept alive across a leave and rejoin) would otherwise never be reported again.
                person = event["payload"].get("person" if kind == "member.joined" else "deputy")
                room = gateway.rooms.get(meeting_id)
                if room is not None and isinstance(person, int):
                    room.remeasure(person)
            if kind in ROUTING_EVENTS or kind == "member.left":
                await self._refresh_routing(meeting_id)

    async def _meeting_of(self, event: dict[str, Any]) -> int | None:
        return event.get("meeting") if isinstance(event.get("meeting"), int) else None

    async def _refresh_routing(self, meeting_id: int) -> None:
        seq, state = await live_state(meeting_id=meeting_id)
        audio_from, video_from, audio_only = routing_from_state(state)
        await gateway.apply_routing(meeting_id, audio_from, video_from, audio_only)
        if settings.LIVESTREAM_ENABLED:
            streams.follow(meeting_id, state, gateway.rooms.get(meeting_id), audio_from, video_from, seq=seq)
