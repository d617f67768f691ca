"""Runs the public stream of each meeting the media worker owns, driven by the meeting log.

The media worker calls `follow(meeting_id, state, room, audio_from, video_from)` whenever the floor
may have changed and `on_event(meeting_id, event)` for every log event. Doors closed → the gate
closes before the composer's next tick (nothing from members is encoded); doors opened → it opens.
Items and speeches become chapters of the recording. Encoder failures are logged as
`stream.state` so the minutes show when the public could not follow.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from meetings.legal import CLOSURE_GROUND_EN, ClosureGround

from .composer import Composer

log = logging.getLogger(__name__)
LIVE_STATES = {"in_session", "suspended"}


def closed_slate(ground: str | None) -> str:
    try:
        g = ClosureGround(ground or "")
        nb, en = g.label, CLOSURE_GROUND_EN[g]
    except ValueError:
        nb = en = ground or ""
    return (f"Møtet er lukket for publikum etter {nb}.\n"
            f"The meeting is closed to the public under the {en}.")


class PublicStreams:
    def __init__(self) -> None:
        self.composers: dict[int, Composer] = {}
        self.tracks: dict[int, dict[tuple[int, str], Any]] = {}

    def _composer(self, meeting_id: int) -> Composer:
        composer = self.composers.get(meeting_id)
        if composer is None:
            loop = asyncio.get_running_loop()

            def on_state(up: bool, reason: str) -> None:  # called from the composer thread
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._report(meeting_id, up, reason)))

            composer = Composer(meeting_id, Path(settings.LIVESTREAM_ROOT) / str(meeting_id),
                                width=settings.LIVESTREAM_WIDTH, height=settings.LIVESTREAM_HEIGHT,
                                fps=settings.LIVESTREAM_FPS, segment_seconds=settings.LIVESTREAM_SEGMENT_SECONDS,
                                window=settings.LIVESTREAM_WINDOW,
                                on_state=on_state)
            composer.start()
            self.composers[meeting_id] = composer
            self.tracks[meeting_id] = {}
        return composer

    async def _report(self, meeting_id: int, up: bool, reason: str) -> None:
        from meetings.services.meetings import stream_report

        try:
            await database_sync_to_async(stream_report)(meeting_id=meeting_id, up=up, reason=reason)
        except Exception:
            log.exception("could not log the stream state of meeting %s", meeting_id)

    def follow(self, meeting_id: int, state: dict[str, Any], room: Any, audio_from: set[int],
               video_from: set[int]) -> None:
        if state.get("meeting", {}).get("state") not in LIVE_STATES:
            return
        composer = self._composer(meeting_id)
        doors = state.get("doors", {})
        composer.set_gate(bool(doors.get("closed")), closed_slate(doors.get("ground")))
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
        if state.get("meeting", {}).get("mode") == "audio_only" and not doors.get("closed"):
            composer.set_slate(f"Bare lyd – {floor['name']}" if floor else "Bare lyd / audio only")
        elif not doors.get("closed"):
            composer.set_slate(None)

    def on_event(self, meeting_id: int, event: dict[str, Any]) -> None:
        composer = self.composers.get(meeting_id)
        kind, p = event["event"], event.get("payload", {})
        if composer is None:
            return
        if kind in ("doors.closed", "doors.debate_closed"):
            composer.set_gate(True, closed_slate(p.get("ground")))  # at once, before any routing work
        elif kind == "doors.opened":
            composer.set_gate(False)
        elif kind == "item.opened":
            title = p.get("public_title") if composer.gate_closed else p.get("title")
            composer.add_chapter(f"{p.get('case_number', '')} {title}".strip())
        elif kind == "floor.granted" and not composer.gate_closed:
            composer.add_chapter(p.get("name", ""))

    async def stop(self, meeting_id: int) -> None:
        for track in self.tracks.pop(meeting_id, {}).values():
            track.stop()
        composer = self.composers.pop(meeting_id, None)
        if composer is not None:
            await composer.stop()

    async def stop_all(self) -> None:
        for meeting_id in list(self.composers):
            await self.stop(meeting_id)


streams = PublicStreams()
