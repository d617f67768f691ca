"""``MediaRoom``: the member media of one meeting (an SFU by forwarding, floor model).

The room owns one :class:`~.peer.MemberPeer` per member, keyed by person id (never by
WebSocket, so a socket reconnect does not drop media). It forwards to every member the audio of
``audio_from`` and the video of ``video_from`` (the floor: speaker and chair), never a member's
own media, and nothing else. It never decides procedure: the app tells it the floor.

Callbacks (all optional, sync or async; exceptions are logged, never raised into media):

* ``on_media_state(person_id, {"sends_audio", "sends_video", "receives"}, reason)`` when what
  counts as arriving changes, with the measured facts behind it in ``reason`` (e.g. "no audio
  packets for 4 s"). See "Measuring" below.
* ``on_health(person_id, {"turning", "reason", "in_seconds"})`` while a loss is pending:
  ``turning`` names the facts about to turn False (``{}`` once nothing is pending), ``in_seconds``
  how long until the loss counts unless the media comes back.
* ``on_audio_level(person_id, level_dbov)`` from the ssrc-audio-level header extension, at most
  ``LEVEL_HZ`` times a second per member (the loudest level of the interval; 0 = loud, -127 = silent).
* ``on_degraded(person_id, reason)`` when RTCP shows a link too poor for video; the member is
  switched to audio-only at the same moment. It stays so until ``set_audio_only(pid, False)``.
* ``on_slots(person_id, {mid: person_id | None})`` when what a member's receiving slots carry
  changes (the floor moved, the member (re)connected), so the page can name each picture and voice.

Measuring (what ``member.media`` in the log rests on, § 11-7 (2)):

* ``sends_audio`` / ``sends_video``: packets of that kind arrive from the member. Muting is not a
  loss: a muted or disabled browser track still sends (silent audio, black frames).
* ``receives``: the member's end acknowledges what we send: RTCP receiver reports whose highest
  sequence number moves on while we forward to it, and, while the floor routes nothing to it,
  answers to our ICE binding requests (connectivity, then consent checks, RFC 7675). What the floor
  routes must not change this fact, so the report window starts afresh whenever forwarding to the
  member (re)starts: a member that just began receiving has had no chance to report yet.
* A loss counts only when it has lasted ``grace`` seconds (``MEDIA_PRESENCE_GRACE``) beyond the
  window that detects it (``ARRIVAL_WINDOW``, ``REPORT_WINDOW`` / ``AUDIO_REPORT_WINDOW``,
  ``CONSENT_WINDOW``); a shorter dip changes nothing in the log (only ``on_health`` tells the
  chair it is turning). Recovery counts at once. A new connection has ``SETUP_GRACE`` to bring
  everything up before its first
  measurement is reported; until then the member is "connecting". ``remeasure`` reports a member's
  current state again, for when the log has forgotten it (the member (re)joined).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
from aiortc.mediastreams import MediaStreamTrack

from . import forwarding
from .config import patch_host_addresses, setting
from .decoded import DecodeFanout
from .errors import MediaError
from .peer import MemberPeer, Slot, Source
from .sdp import parse_offer, session_identity

logger = logging.getLogger(__name__)

ARRIVAL_WINDOW = 1.0  # seconds without packets of a kind before it is "turning" (audio comes every
# 20 ms, video every 33-66 ms); it then counts as lost only after the grace period
REPORT_WINDOW = 3.0  # seconds of forwarding video without a receiver report on it that shows progress,
# counted from when forwarding video to the member last (re)started (libwebrtc and aiortc report every
# 0.5-1.5 s)
AUDIO_REPORT_WINDOW = 8.0  # the same for audio: libwebrtc reports on received audio only every 5 s,
# randomised to 2.5-7.5 s (a member receiving audio only must not turn "not receiving" between two)
FORWARDING_GAP = 1.0  # seconds of sending nothing to a member after which a new run of forwarding
# starts the report window afresh
CONSENT_WINDOW = 3.0 * aioice.ice.CONSENT_INTERVAL  # seconds without an answered binding request
# (aioice checks every 4-6 s with no retransmission: one lost check must not count)
DEFAULT_GRACE = 3.0  # MEDIA_PRESENCE_GRACE: seconds a detected loss must last before it counts
MONITOR_INTERVAL = 0.5
SETUP_GRACE = 10.0  # seconds a new connection has to bring all its media up before gaps are reported
LEVEL_HZ = 5.0
DEGRADE_REPORTS = 5  # look at the last N receiver reports ...
DEGRADE_BAD = 3  # ... and degrade when this many were over a threshold
MAX_MEMBERS = 200

Callback = Callable[..., Awaitable[None] | None]

FACTS = ("sends_audio", "sends_video", "receives")


@dataclass
class MemberHealth:
    """One member's counted media state and the losses pending against it (pure, clock passed in).

    ``counted`` is what the room last reported (None: nothing yet, the member is connecting);
    ``pending`` maps each fact measured False while counted True to when that was first seen.
    """

    counted: dict[str, bool] | None = None
    pending: dict[str, float] = field(default_factory=dict)
    announced: dict[str, bool] = field(default_factory=dict)  # the ``turning`` last sent

    def step(self, now: float, facts: dict[str, bool], *, grace: float, setup_over: bool) -> list[str]:
        """Fold one measurement in; return the facts whose counted value changed (all of them on
        the first report)."""
        if self.counted is None:
            if all(facts.values()) or setup_over:
                self.counted = {f: bool(facts[f]) for f in FACTS}
                self.pending.clear()
                return list(FACTS)
            return []
        changed = []
        for fact in FACTS:
            if facts[fact]:
                self.pending.pop(fact, None)
                if not self.counted[fact]:
                    self.counted[fact] = True  # recovery counts at once
                    changed.append(fact)
            elif self.counted[fact]:
                since = self.pending.setdefault(fact, now)
                if now - since >= grace:
                    del self.pending[fact]
                    self.counted[fact] = False
                    changed.append(fact)
        return changed

    def turning(self) -> dict[str, bool]:
        return {fact: False for fact in FACTS if fact in self.pending}

    def counts_in(self, now: float, grace: float) -> float | None:
        """Seconds until the first pending loss counts; None if nothing is pending."""
        if not self.pending:
            return None
        return max(0.0, min(self.pending.values()) + grace - now)


class MediaRoom:
    def __init__(
        self,
        meeting_id: int,
        *,
        on_media_state: Callback | None = None,
        on_audio_level: Callback | None = None,
        on_degraded: Callback | None = None,
        on_slots: Callback | None = None,
        on_health: Callback | None = None,
        presence_grace: float | None = None,
        audio_only_loss: float | None = None,
        audio_only_rtt_ms: float | None = None,
        audio_slots: int = 2,
        video_slots: int = 2,
    ) -> None:
        forwarding.install()
        patch_host_addresses()
        self.meeting_id = meeting_id
        self.on_media_state = on_media_state
        self.on_audio_level = on_audio_level
        self.on_degraded = on_degraded
        self.on_slots = on_slots
        self.on_health = on_health
        self.grace = float(
            presence_grace if presence_grace is not None else setting("MEDIA_PRESENCE_GRACE", DEFAULT_GRACE)
        )
        self.audio_only_loss = (
            audio_only_loss if audio_only_loss is not None else setting("MEDIA_AUDIO_ONLY_LOSS", 0.10)
        )
        self.audio_only_rtt = (
            audio_only_rtt_ms if audio_only_rtt_ms is not None else setting("MEDIA_AUDIO_ONLY_RTT_MS", 800.0)
        ) / 1000.0
        self.audio_slots = audio_slots
        self.video_slots = video_slots
        self.audio_from: frozenset[int] = frozenset()
        self.video_from: frozenset[int] = frozenset()
        self.peers: dict[int, MemberPeer] = {}
        self._sources: dict[tuple[int, str], Source] = {}
        self._audio_only: set[int] = set()  # requested by the member or the app
        self._degraded: set[int] = set()  # decided from RTCP
        self._app_audio_only: set[int] = set()  # imposed by the app through set_floor
        self._reports: dict[int, deque[bool]] = {}
        self._health: dict[int, MemberHealth] = {}  # by person, outliving a replaced connection
        self._levels: dict[int, tuple[float, int | None]] = {}  # last emit time, loudest since
        self._slot_maps: dict[int, dict[str, int | None]] = {}  # last mid -> person sent to each member
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self.closed = False

    async def handle_offer(self, person_id: int, sdp: str, type: str = "offer") -> dict[str, str]:
        """Apply a member's offer (first or renegotiation) and return ``{"type": "answer", "sdp"}``.

        An offer from a different browser session (new ICE ufrag / DTLS fingerprint, e.g. after a
        page reload) replaces the member's old connection. Raises :class:`MediaError` for bad
        input; a failed offer never affects other members.
        """
        self._check_open()
        if not isinstance(person_id, int) or isinstance(person_id, bool):
            raise MediaError("bad_person", "person id must be an int")
        description = parse_offer(sdp, type)
        lock = self._locks.setdefault(person_id, asyncio.Lock())
        async with lock:
            self._check_open()
            peer = self.peers.get(person_id)
            fresh = peer is None or peer.closed or peer.identity != session_identity(description)
            if fresh:
                if peer is not None:
                    # A new browser session (e.g. a reload) takes over: its media has the grace
                    # period to come up before the old connection's loss counts.
                    await self._drop_peer(peer)
                if len(self.peers) >= MAX_MEMBERS:
                    raise MediaError("room_full", f"at most {MAX_MEMBERS} members have media")
                peer = MemberPeer(
                    person_id, self, audio_slots=self.audio_slots, video_slots=self.video_slots
                )
                self.peers[person_id] = peer
            assert peer is not None
            try:
                answer = await peer.negotiate(description, sdp)
            except MediaError:
                if fresh:
                    await self._drop_peer(peer)
                raise
            self._route()
            self._ensure_monitor()
            return {"type": "answer", "sdp": answer}

    async def set_floor(
        self,
        audio_from: Iterable[int],
        video_from: Iterable[int],
        *,
        audio_only: Iterable[int] | None = None,
    ) -> None:
        """Switch what everyone receives, at once and without renegotiation.

        Audio switches at the next packet; video at the publisher's next keyframe, which is
        requested immediately. ``audio_only`` (if given) replaces the set of members the app
        forces to audio-only; members' own choices and degradation are kept regardless.
        """
        self._check_open()
        self.audio_from = frozenset(audio_from)
        self.video_from = frozenset(video_from)
        if audio_only is not None:
            self._app_audio_only = set(audio_only)
        self._route()

    async def set_audio_only(self, person_id: int, on: bool) -> None:
        """Stop (or resume) forwarding video *to* this member; audio keeps flowing."""
        self._check_open()
        if on:
            self._audio_only.add(person_id)
        else:
            self._audio_only.discard(person_id)
            self._degraded.discard(person_id)
            self._reports.pop(person_id, None)
        self._route()

    def is_audio_only(self, person_id: int) -> bool:
        return person_id in self._audio_only or person_id in self._degraded or person_id in self._app_audio_only

    async def remove_member(self, person_id: int) -> None:
        """Close the member's connection; their media stops everywhere at once."""
        peer = self.peers.get(person_id)
        lock = self._locks.setdefault(person_id, asyncio.Lock())
        async with lock:
            if peer is not None:
                await self._drop_peer(peer)
        health = self._health.pop(person_id, None)
        if health is not None and health.counted is not None and any(health.counted.values()):
            # The member left: no grace, their media is gone on purpose.
            self._emit(self.on_media_state, person_id, self._idle_state(), "left the media connection")
        if health is not None and health.announced:
            self._emit(self.on_health, person_id, {"turning": {}, "reason": "", "in_seconds": None})
        self._locks.pop(person_id, None)
        self._audio_only.discard(person_id)
        self._degraded.discard(person_id)
        self._reports.pop(person_id, None)
        self._levels.pop(person_id, None)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._monitor is not None:
            self._monitor.cancel()
        for peer in list(self.peers.values()):
            await self._drop_peer(peer)
        for task in list(self._tasks):
            task.cancel()

    def public_tracks(self) -> dict[int, frozenset[str]]:
        """Who publishes what right now: ``{person_id: {"audio", "video"}}``."""
        result: dict[int, set[str]] = {}
        for person_id, kind in self._sources:
            result.setdefault(person_id, set()).add(kind)
        return {p: frozenset(k) for p, k in result.items()}

    def subscribe_decoded(self, person_id: int, kind: str) -> MediaStreamTrack:
        """A track of this member's **decoded** media (``av.AudioFrame`` / ``av.VideoFrame``).

        For the public-stream composer. The member's forwarded frames are decoded once per
        publisher and kind, however many subscribe, in a worker thread; nothing is decoded
        without a subscriber. Video starts at the next keyframe (one is requested). The track
        ends (``recv`` raises ``MediaStreamError``) when the member stops publishing or leaves;
        subscribe again when ``public_tracks()`` lists them. ``track.stop()`` unsubscribes.
        Raises ``MediaError("not_publishing")`` if there is nothing to subscribe to.
        """
        if kind not in ("audio", "video"):
            raise MediaError("bad_kind", "kind must be audio or video")
        source = self._sources.get((person_id, kind))
        if source is None:
            raise MediaError("not_publishing", f"member {person_id} does not publish {kind}")
        if source.decoded is None:
            source.decoded = DecodeFanout(kind, source.request_keyframe)
        return source.decoded.subscribe()

    def media_state(self, person_id: int) -> dict[str, bool]:
        """What is measured right now, before the grace period (see :meth:`measure`)."""
        return self.measure(person_id)[0]

    def measure(self, person_id: int, now: float | None = None) -> tuple[dict[str, bool], dict[str, str]]:
        """The member's media facts now, before any grace period, and for each fact the measurement
        behind it (e.g. "no audio packets for 2 s", "receiver reports arriving")."""
        now = time.monotonic() if now is None else now
        peer = self.peers.get(person_id)
        if peer is None or peer.closed:
            return self._idle_state(), dict.fromkeys(FACTS, "no media connection")
        if not peer.connected:
            return self._idle_state(), dict.fromkeys(FACTS, f"media connection {peer.pc.connectionState}")
        facts: dict[str, bool] = {}
        notes: dict[str, str] = {}
        for fact, kind, what in (
            ("sends_audio", "audio", "audio packets"),
            ("sends_video", "video", "video frames"),
        ):
            source = peer.sources.get(kind)
            if source is None:
                facts[fact], notes[fact] = False, f"no {kind} track"
            elif not source.frames:
                facts[fact], notes[fact] = False, f"no {what} yet"
            else:
                age = now - source.last_arrival
                facts[fact] = age < ARRIVAL_WINDOW
                notes[fact] = f"{what} arriving" if facts[fact] else f"no {what} for {age:.0f} s"
        # Reports are owed only after a whole window of forwarding: when forwarding to the member
        # (re)starts, e.g. because the floor moved, the member has not had the chance to report yet.
        overdue = fresh = ""
        for kind, since in peer.forwarding_runs(now, FORWARDING_GAP).items():
            window = REPORT_WINDOW if kind == "video" else AUDIO_REPORT_WINDOW
            last = peer.last_report_of[kind]
            if since is not None and now - max(last, since) >= window and not overdue:
                overdue = (f"no receiver reports on {kind} for {now - last:.0f} s" if last
                           else f"no receiver reports on {kind} in {now - since:.0f} s of forwarding")
            if now - last < window:
                fresh = "receiver reports arriving"
        answer_age = 0.0 if peer.last_answered is None else now - peer.last_answered
        if overdue:
            facts["receives"], notes["receives"] = False, overdue
        elif fresh:
            facts["receives"], notes["receives"] = True, fresh
        elif answer_age < CONSENT_WINDOW:
            facts["receives"], notes["receives"] = True, "answers connectivity checks"
        else:
            facts["receives"] = False
            notes["receives"] = f"no answer to connectivity checks for {answer_age:.0f} s"
        return facts, notes

    # routing

    def _route(self) -> None:
        """Point every member's slots at the floor, keeping unchanged assignments in place."""
        for peer in self.peers.values():
            if peer.closed:
                continue
            for kind, floor in (("audio", self.audio_from), ("video", self.video_from)):
                wanted = sorted(p for p in floor if p != peer.person_id)
                if kind == "video" and self.is_audio_only(peer.person_id):
                    wanted = []
                slots = peer.slots_of(kind)
                keep: set[int] = set()
                free: list[Slot] = []
                for slot in slots:
                    if slot.person is not None and slot.person in wanted and slot.person not in keep:
                        keep.add(slot.person)
                    else:
                        free.append(slot)
                for person in wanted:
                    if person not in keep and free:
                        self._assign(free.pop(0), person)
                        keep.add(person)
                for slot in free:
                    self._assign(slot, None)
                for slot in slots:
                    self._attach(slot)
            self._announce_slots(peer)

    def _announce_slots(self, peer: MemberPeer) -> None:
        """Tell the member whose media each of their receiving slots (by mid) now carries, so the
        page can name the picture and the voice; sent only when it changes."""
        mapping = {slot.mid: slot.person for slot in peer.slots if slot.mid}
        if self._slot_maps.get(peer.person_id) != mapping:
            self._slot_maps[peer.person_id] = mapping
            self._emit(self.on_slots, peer.person_id, dict(mapping))

    def _assign(self, slot: Slot, person: int | None) -> None:
        slot.person = person
        self._attach(slot)

    def _attach(self, slot: Slot) -> None:
        source = self._sources.get((slot.person, slot.kind)) if slot.person is not None else None
        old = slot.stream.source
        if old is source:
            return
        if isinstance(old, Source):
            old.streams.discard(slot.stream)
        slot.stream.switch(source)
        if source is not None:
            source.streams.add(slot.stream)

    # PeerHooks

    def source_added(self, peer: MemberPeer, source: Source) -> None:
        self._sources[(peer.person_id, source.kind)] = source
        self._route()

    def source_ended(self, peer: MemberPeer, source: Source) -> None:
        key = (peer.person_id, source.kind)
        if self._sources.get(key) is source:
            del self._sources[key]
        if not self.closed:
            self._route()

    def receiver_report(self, peer: MemberPeer, fraction_lost: float, rtt: float | None) -> None:
        person_id = peer.person_id
        if person_id in self._degraded or person_id in self._audio_only:
            return
        bad_loss = fraction_lost >= self.audio_only_loss
        bad_rtt = rtt is not None and rtt >= self.audio_only_rtt
        reports = self._reports.setdefault(person_id, deque(maxlen=DEGRADE_REPORTS))
        reports.append(bad_loss or bad_rtt)
        if sum(reports) >= DEGRADE_BAD:
            reason = (
                f"packet loss {fraction_lost:.0%}" if bad_loss else f"round-trip time {rtt * 1000:.0f} ms"
                if rtt is not None else "poor link"
            )
            self._degraded.add(person_id)
            logger.info("meeting %s: member %s degraded to audio-only (%s)", self.meeting_id, person_id, reason)
            self._route()
            self._emit(self.on_degraded, person_id, reason)

    def audio_level(self, peer: MemberPeer, level_dbov: int) -> None:
        if self.on_audio_level is None:
            return
        now = time.monotonic()
        last, loudest = self._levels.get(peer.person_id, (0.0, None))
        loudest = level_dbov if loudest is None else max(loudest, level_dbov)
        if now - last >= 1.0 / LEVEL_HZ:
            self._levels[peer.person_id] = (now, None)
            self._emit(self.on_audio_level, peer.person_id, loudest)
        else:
            self._levels[peer.person_id] = (last, loudest)

    def peer_failed(self, peer: MemberPeer) -> None:
        logger.info("meeting %s: member %s connection failed", self.meeting_id, peer.person_id)
        self._spawn(self._drop_peer(peer))

    # internals

    async def _drop_peer(self, peer: MemberPeer) -> None:
        """Close one connection. What that costs the member is measured like any loss: the person's
        state outlives the connection and goes through the grace period (a reload reconnects)."""
        if self.peers.get(peer.person_id) is peer:
            del self.peers[peer.person_id]
            self._slot_maps.pop(peer.person_id, None)  # a new connection is told its slots afresh
        for kind, source in list(peer.sources.items()):
            if self._sources.get((peer.person_id, kind)) is source:
                del self._sources[(peer.person_id, kind)]
        await peer.close()
        if not self.closed:
            self._route()

    @staticmethod
    def _idle_state() -> dict[str, bool]:
        return {"sends_audio": False, "sends_video": False, "receives": False}

    def _ensure_monitor(self) -> None:
        if self._monitor is None or self._monitor.done():
            self._monitor = asyncio.ensure_future(self._watch_media())

    async def _watch_media(self) -> None:
        while not self.closed:
            await asyncio.sleep(MONITOR_INTERVAL)
            self.check_media_state()

    def check_media_state(self, now: float | None = None) -> None:
        """Measure every member, apply the grace period, report what changed (with the measured
        facts as the reason) and tell the chair about losses that are pending."""
        now = time.monotonic() if now is None else now
        for person_id in sorted(set(self.peers) | set(self._health)):
            peer = self.peers.get(person_id)
            health = self._health.setdefault(person_id, MemberHealth())
            if peer is None and health.counted is None:
                del self._health[person_id]  # a connection that never got measured: nothing to say
                continue
            facts, notes = self.measure(person_id, now)
            # Still connecting (ICE, DTLS, the first keyframe): a member whose media is starting up
            # has not lost it, and must not be reported as measured without it.
            setup_over = peer is None or now - peer.created >= SETUP_GRACE
            changed = health.step(now, facts, grace=self.grace, setup_over=setup_over)
            if changed:
                reason = "; ".join(notes[f] for f in changed)
                logger.info("meeting %s member %s media %s (%s)",
                            self.meeting_id, person_id, health.counted, reason)
                self._emit(self.on_media_state, person_id, dict(health.counted or {}), reason)
            turning = health.turning()
            if turning != health.announced:
                health.announced = turning
                in_seconds = health.counts_in(now, self.grace)
                self._emit(self.on_health, person_id, {
                    "turning": dict(turning),
                    "reason": "; ".join(notes[f] for f in turning),
                    "in_seconds": None if in_seconds is None else round(in_seconds, 1),
                })
            if peer is None and health.counted is not None and not any(health.counted.values()):
                del self._health[person_id]  # gone and reported gone

    def remeasure(self, person_id: int) -> None:
        """Report this member's counted state again, whether or not it changed.

        For when the log has forgotten it: the member (re)joined after their media connected, so
        the log says "connecting" while the room holds a measurement. Nothing to do before the
        first measurement, which will be reported anyway.
        """
        health = self._health.get(person_id)
        if health is None or health.counted is None:
            return
        facts, notes = self.measure(person_id)
        reason = "; ".join(notes[f] if facts[f] == health.counted[f] else f"{notes[f]} (not counted yet)"
                           for f in FACTS)
        self._emit(self.on_media_state, person_id, dict(health.counted), f"measured again on joining: {reason}")

    def _emit(self, callback: Callback | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            result = callback(*args)
        except Exception:
            logger.exception("media callback %r failed", callback)
            return
        if inspect.isawaitable(result):
            self._spawn(result)

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(forwarding._log_task_error)

    def _check_open(self) -> None:
        if self.closed:
            raise MediaError("room_closed", f"media for meeting {self.meeting_id} is closed")
