"""Runs the public stream of each meeting the media worker owns, driven by the meeting log.

The media worker calls `follow(meeting_id, state, room, audio_from, video_from, seq=)` whenever the
floor may have changed and `on_event(meeting_id, event)` for every log event. Doors closed → the
gate closes before the composer's next tick (nothing from members is encoded); doors opened → it
opens. A meeting-wide `no_public_stream` mode (only under an exemption profile) closes the gate
too and is logged as `stream.state` down. Items and speeches become chapters of the recording.

The gate holds the doors as the projection has them: `follow` and the watchdog's resync read them
from the live state with its seq, `on_event` folds a doors event into them with the projection's
own doors reducer (`projection.apply_doors`); nothing here says what a doors event means. Every gate
change is ordered by the log's seq: `follow` may run with a live state read before the newest doors
or mode event was committed, and such a state must never undo what `on_event` already applied (that
would reopen the gate on closed doors until the next refresh). The doors table leads each doors
event to one state (meetings/state.py), so folding with gaps still gives the right doors.

What the public output shows is asked of the visibility policy (meetings/visibility.py): the
slates' texts and the chapters, which come from each event's public form.

A watchdog per composer checks that public segments keep coming while the public should be
following; a stall of a few segment lengths (hung or dead composer thread) is logged as
`stream.state` down with its reason, and up again when segments flow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from meetings import projection, selectors, visibility
from meetings.state import LIVE_STATES
from meetings.visibility import closed_slate, no_stream_slate  # noqa: F401 (the texts live in the policy)

from . import running
from .composer import Composer
from .health import NO_PUBLIC_STREAM, last_output_at, stall_limit, stream_dir, stream_should_run
from .slate import floor_slate
from .webrtc import viewers_listen

log = logging.getLogger(__name__)
GATE_RESYNC_SECONDS = 2.0  # how often the watchdog re-reads the doors and mode from the log


@dataclass
class Gate:
    """What the log says about the public output, as of the event with number `seq`. `doors` is the
    projection's doors part of the live state (`projection.doors_initial()` shape)."""

    seq: int = 0
    doors: dict[str, Any] = field(default_factory=projection.doors_initial)
    mode: str = "normal"
    instrument: str | None = None

    @property
    def doors_closed(self) -> bool:
        return bool(self.doors["doors"]["closed"])

    @property
    def ground(self) -> str | None:
        return self.doors["doors"].get("ground")

    @property
    def closed(self) -> bool:
        return not stream_should_run(doors_closed=self.doors_closed, mode=self.mode)

    @property
    def slate(self) -> str:
        return closed_slate(self.ground) if self.doors_closed else no_stream_slate(self.instrument)


def apply_gate(composer: Composer, gate: Gate) -> None:
    # The slate text only with a closed gate: set_gate keeps a text it is given even when open.
    composer.set_gate(gate.closed, gate.slate if gate.closed else "")


class PublicStreams:
    def __init__(self, composers: dict[int, Composer] | None = None) -> None:
        self.composers: dict[int, Composer] = {} if composers is None else composers
        self.tracks: dict[int, dict[tuple[int, str], Any]] = {}
        self.gates: dict[int, Gate] = {}
        self._started: dict[int, float] = {}
        self._watchdogs: dict[int, asyncio.Task[None]] = {}
        self._reported: dict[int, bool] = {}  # the stream state this bridge last logged

    def _composer(self, meeting_id: int) -> Composer:
        composer = self.composers.get(meeting_id)
        if composer is None:
            loop = asyncio.get_running_loop()

            def on_state(up: bool, reason: str) -> None:  # called from the composer thread
                # An encoder failure is logged as is; "up again" goes through the same check as the
                # watchdog, so a composer coming up never hides a no-public-stream mode.
                report = self._report(meeting_id, up, reason) if not up else self.check(meeting_id)
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(report))

            composer = Composer(meeting_id, stream_dir(meeting_id),
                                width=settings.LIVESTREAM_WIDTH, height=settings.LIVESTREAM_HEIGHT,
                                fps=settings.LIVESTREAM_FPS, segment_seconds=settings.LIVESTREAM_SEGMENT_SECONDS,
                                part_seconds=settings.LIVESTREAM_PART_SECONDS, window=settings.LIVESTREAM_WINDOW,
                                on_state=on_state)
            apply_gate(composer, self.gates.setdefault(meeting_id, Gate()))  # before the first tick
            composer.start()
            self.composers[meeting_id] = composer
            self.tracks[meeting_id] = {}
            self._started[meeting_id] = time.time()
            self._watchdogs[meeting_id] = loop.create_task(self._watch(meeting_id))
            viewers_listen(meeting_id, composer)  # WebRTC viewer offers relayed from web processes
        return composer

    async def _report(self, meeting_id: int, up: bool, reason: str) -> None:
        from meetings.services.meetings import stream_report

        self._reported[meeting_id] = up
        try:
            await database_sync_to_async(stream_report)(meeting_id=meeting_id, up=up, reason=reason)
        except Exception:
            log.exception("could not log the stream state of meeting %s", meeting_id)

    # The gate, ordered by the log's seq --------------------------------------------------------

    def _gate_from_state(self, meeting_id: int, state: dict[str, Any], seq: int) -> Gate:
        gate = self.gates.setdefault(meeting_id, Gate())
        if seq < gate.seq:
            return gate  # read before an event already applied: older news, never undo it
        gate.seq = seq
        gate.doors = {"doors": dict(state.get("doors") or projection.doors_initial()["doors"]),
                      "closure_motion": state.get("closure_motion")}
        gate.mode = state.get("meeting", {}).get("mode") or "normal"
        if gate.mode != NO_PUBLIC_STREAM:
            gate.instrument = None
        return gate

    def _gate_from_event(self, meeting_id: int, event: dict[str, Any]) -> Gate | None:
        """Fold one doors or mode event into the gate; None if it is not one or is older news."""
        kind, p, seq = event["event"], event.get("payload", {}), int(event.get("seq") or 0)
        if kind not in projection.DOORS_HANDLERS and kind != "mode.changed":
            return None
        gate = self.gates.setdefault(meeting_id, Gate())
        if seq and seq <= gate.seq:
            return None
        gate.seq = seq or gate.seq
        record = {"type": kind, "payload": p, "at": event.get("at"), "seq": seq}
        if not projection.apply_doors(gate.doors, record):
            gate.mode, gate.instrument = p.get("mode") or "normal", p.get("instrument")
        return gate

    def follow(self, meeting_id: int, state: dict[str, Any], room: Any, audio_from: set[int],
               video_from: set[int], *, seq: int) -> None:
        """Apply a live state read when the log's newest event was `seq`."""
        gate = self._gate_from_state(meeting_id, state, seq)
        if state.get("meeting", {}).get("state") not in LIVE_STATES:
            return
        composer = self._composer(meeting_id)
        apply_gate(composer, gate)
        publishing = room.public_tracks() if room is not None else {}
        floor = state.get("floor")
        speaker = int(floor["person"]) if floor else None
        chair = int(state["meeting"]["chair"]) if state.get("meeting", {}).get("chair") else None
        wanted: set[tuple[int, str]] = {(p, "audio") for p in audio_from if "audio" in publishing.get(p, ())}
        for candidate in (speaker, chair):
            if candidate in video_from and "video" in publishing.get(candidate, ()):
                wanted.add((candidate, "video"))
                break
        current = self.tracks[meeting_id]
        for key in list(current):
            if key not in wanted:
                current.pop(key).stop()
        for key in wanted - set(current):
            try:
                current[key] = room.subscribe_decoded(*key)
            except Exception:
                log.info("no decoded %s from member %s yet", key[1], key[0])
        video = next((t for (p, k), t in current.items() if k == "video"), None)
        composer.set_sources([t for (p, k), t in current.items() if k == "audio"], video)
        self._check_soon(meeting_id)
        if gate.closed:
            return
        composer.set_slate(floor_slate(mode=gate.mode, floor=floor,
                                       speaker_on_camera=speaker is not None and (speaker, "video") in current))

    def on_event(self, meeting_id: int, event: dict[str, Any]) -> None:
        gate = self._gate_from_event(meeting_id, event)
        composer = self.composers.get(meeting_id)
        if composer is None:
            return
        kind = event["event"]
        if gate is not None:
            apply_gate(composer, gate)  # at once, before any routing work
            if kind == "mode.changed":
                self._check_soon(meeting_id)
        else:
            # Chapters are public output: they come from the event's public form, decided by the
            # log when the event was written (visibility.py), not from the gate as it looks when the
            # event arrives here: broadcasts may overtake each other. Nothing is recorded while the
            # gate is closed, so no chapter either.
            title = visibility.chapter_title(kind, event.get("public"))
            if title and not composer.gate_closed:
                composer.add_chapter(title, at=event.get("at"), kind="item" if kind == "item.opened" else "speech")

    # The watchdog ------------------------------------------------------------------------------

    def stream_should_be(self, meeting_id: int) -> tuple[bool, str] | None:
        """Whether the public can follow, and why not; None while the doors are closed (a lawful
        closure, logged as such, not a stream failure)."""
        composer, gate = self.composers.get(meeting_id), self.gates.get(meeting_id, Gate())
        if composer is None:
            return None
        if gate.mode == NO_PUBLIC_STREAM:  # the public cannot follow: logged as the stream down
            under = f" under {gate.instrument}" if gate.instrument else ""
            return False, f"no public stream{under} (meeting mode {NO_PUBLIC_STREAM})"
        if gate.closed:
            return None
        silent_for = time.time() - (last_output_at(composer.out_dir) or self._started[meeting_id])
        if silent_for > stall_limit(composer.segment_seconds):
            return False, f"no public segment for {silent_for:.0f} s (the stream composer stalled or stopped)"
        return True, "public segments flowing"

    async def check(self, meeting_id: int) -> None:
        wanted = self.stream_should_be(meeting_id)
        if wanted is not None and self._reported.get(meeting_id) != wanted[0]:
            await self._report(meeting_id, *wanted)

    def _check_soon(self, meeting_id: int) -> None:
        asyncio.ensure_future(self.check(meeting_id))

    async def _watch(self, meeting_id: int) -> None:
        last_resync = time.monotonic()
        while meeting_id in self.composers:
            await asyncio.sleep(max(0.2, self.composers[meeting_id].segment_seconds / 2))
            try:
                if time.monotonic() - last_resync >= GATE_RESYNC_SECONDS:
                    last_resync = time.monotonic()
                    await self._resync_gate(meeting_id)
                await self.check(meeting_id)
            except Exception:  # the watchdog must outlive any one failed check
                log.exception("stream watchdog of meeting %s failed", meeting_id)

    async def _resync_gate(self, meeting_id: int) -> None:
        """Re-read the gate from the log: the channel layer drops a message to a full channel
        silently, and a lost doors.closed must not leave the public output open."""
        seq, state = await database_sync_to_async(selectors.meeting_live_state)(meeting_id=meeting_id)
        composer = self.composers.get(meeting_id)
        gate = self._gate_from_state(meeting_id, state, seq)
        # Only a change takes the composer's lock: a hung composer must not stall this event loop.
        if composer is not None and composer.gate_closed != gate.closed:
            apply_gate(composer, gate)

    # Lifecycle ---------------------------------------------------------------------------------

    async def stop(self, meeting_id: int) -> None:
        watchdog = self._watchdogs.pop(meeting_id, None)
        if watchdog is not None:
            watchdog.cancel()
        for track in self.tracks.pop(meeting_id, {}).values():
            track.stop()
        composer = self.composers.pop(meeting_id, None)
        self.gates.pop(meeting_id, None)
        self._reported.pop(meeting_id, None)
        self._started.pop(meeting_id, None)
        if composer is not None:
            await composer.stop()

    async def stop_all(self) -> None:
        for meeting_id in list(self.composers):
            await self.stop(meeting_id)


# This process's public streams: their composers are the ones the WebRTC viewers find here.
streams = PublicStreams(composers=running.composers)
