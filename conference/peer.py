"""One member's peer connection: what they publish (sources) and the floor slots they receive.

The slot design: a member's offer carries, besides its own microphone and camera, a fixed set of
receive-only m-lines ("floor slots": normally 2 audio + 2 video, for the speaker and the chair).
The server answers each with a sender fed by a :class:`~.forwarding.OutStream`. Changing
the floor re-points slots at other publishers, in-process and immediately; no SDP round trip is
ever needed to change who is seen or heard. Renegotiation is only for the member's own changes
(e.g. turning the camera on later), and a renegotiated offer keeps existing slots by mid.

Browser side (for the frontend)::

    pc.addTransceiver(micTrack, {direction: "sendonly"})
    pc.addTransceiver(camTrack, {direction: "sendonly"})      // or add it later and renegotiate
    for (const k of ["audio", "audio", "video", "video"]) pc.addTransceiver(k, {direction: "recvonly"})
    // send the offer only when iceGatheringState == "complete" (the server does not trickle)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtcpRrPacket, RtcpSrPacket

from .config import ice_configuration
from .decoded import DecodeFanout
from .errors import MediaError
from .forwarding import KeyframeRequester, OutStream, PacketCache, _log_task_error, attach_sender, tap_receiver
from .rtp import InPacket
from .sdp import FORWARDED_CODECS, session_identity

logger = logging.getLogger(__name__)


class PeerHooks(Protocol):
    """What a :class:`MemberPeer` tells its room (implemented by ``MediaRoom``)."""

    def source_added(self, peer: MemberPeer, source: Source) -> None: ...
    def source_ended(self, peer: MemberPeer, source: Source) -> None: ...
    def receiver_report(self, peer: MemberPeer, fraction_lost: float, rtt: float | None) -> None: ...
    def audio_level(self, peer: MemberPeer, level_dbov: int) -> None: ...
    def peer_failed(self, peer: MemberPeer) -> None: ...


@dataclass(eq=False)
class Slot:
    """One outgoing floor m-line: a stream that forwards whoever the room points it at."""

    kind: str
    mid: str
    sender: RTCRtpSender
    stream: OutStream
    person: int | None = None  # whose media this slot should carry; the source may not exist yet
    last_highest: int | None = None  # extended highest sequence number the member last reported


@dataclass(eq=False)
class Source:
    """One member's inbound track of one kind, forwarded packet by packet as it arrives.

    Its receiver's jitter buffer is a :class:`~.forwarding.SourceTap`, so nothing queues up: the
    track itself never yields a frame and only tells, by ending, that the publisher stopped.
    """

    person_id: int
    kind: str
    track: MediaStreamTrack
    receiver: RTCRtpReceiver
    streams: set[OutStream] = field(default_factory=set)
    cache: PacketCache = field(default_factory=PacketCache)
    decoded: DecodeFanout | None = None
    keyframes: KeyframeRequester | None = None
    on_audio_level: Callable[[int], None] | None = None
    last_arrival: float = 0.0
    frames: int = 0  # audio packets, or video frames (packets with the marker bit)
    ssrc: int = -1  # the publisher's media SSRC, from the packets
    statistics: Any = None  # aiortc's receiver statistics for it (what our receiver reports)
    task: asyncio.Task[None] | None = None

    def request_keyframe(self) -> None:
        if self.keyframes is not None:
            self.keyframes.request()

    def packet_arrived(self, packet: InPacket, now: float) -> None:
        if self.kind == "audio":
            level = packet.audio_level
            self.audio_arrived(now, None if level is None else level[0] & 0x7F)
        else:
            self.last_arrival = now
            if packet.marker:
                self.frames += 1

    def audio_arrived(self, now: float, level: int | None) -> None:
        """One audio packet (``level``: RFC 6464, 0 loudest .. 127 silent), by either path."""
        self.last_arrival = now
        self.frames += 1
        if level is not None and self.on_audio_level is not None:
            self.on_audio_level(-level)

    async def wait_for_end(self, on_end: Callable[[], None]) -> None:
        try:
            while True:
                await self.track.recv()  # ends with MediaStreamError when the publisher stops
        except MediaStreamError:
            pass
        finally:
            on_end()

    def close(self) -> None:
        if self.keyframes is not None:
            self.keyframes.close()
        if self.decoded is not None:
            self.decoded.close()
            self.decoded = None
        for stream in tuple(self.streams):
            stream.switch(None)
        self.streams.clear()
        self.cache.clear()
        self.statistics = None  # its QuietAudio hands packets back to aiortc's path (a new source's)
        if self.task is not None and not self.task.done():
            self.task.cancel()


class MemberPeer:
    """The server end of one member's ``RTCPeerConnection`` (one per member, not per socket)."""

    def __init__(self, person_id: int, hooks: PeerHooks, *, audio_slots: int, video_slots: int) -> None:
        self.person_id = person_id
        self.hooks = hooks
        self.max_slots = {"audio": audio_slots, "video": video_slots}
        self.pc = RTCPeerConnection(configuration=ice_configuration())
        self.identity: tuple[str, ...] | None = None
        self.slots: list[Slot] = []
        self.sources: dict[str, Source] = {}
        self.created = time.monotonic()
        # Last RTCP receiver report, per kind, showing that media we send reached this member (its
        # highest sequence number moved on; aiortc peers keep reporting a stream long after it stopped).
        self.last_report_of = {"audio": 0.0, "video": 0.0}
        # Last time the member answered one of our STUN binding requests: ICE connectivity checks,
        # then consent freshness checks (RFC 7675, every ~5 s). None: not observable (see below).
        self.last_answered: float | None = 0.0
        # Per kind, when the current uninterrupted run of media sent to this member began.
        self.forwarding_since: dict[str, float | None] = {"audio": None, "video": None}
        self.closed = False
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    def slots_of(self, kind: str) -> list[Slot]:
        return [s for s in self.slots if s.kind == kind]

    async def negotiate(self, description: aiortc_sdp.SessionDescription, sdp: str) -> str:
        """Apply a (re-)offer and return the answer SDP. ``description`` is the validated parse."""
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:  # aiortc raises ValueError/OperationError/InvalidStateError/...
            raise MediaError("negotiation_failed", f"offer rejected: {exc}") from None
        self.identity = session_identity(description)
        by_mid = {t.mid: t for t in self.pc.getTransceivers()}
        slot_mids = {s.mid for s in self.slots}
        for section in description.media:
            transceiver = by_mid.get(section.rtp.muxId)
            if transceiver is None or section.port == 0:
                continue
            _restrict_codecs(transceiver)
            if (
                section.direction in ("recvonly", "sendrecv")
                and transceiver.mid not in slot_mids
                and len(self.slots_of(section.kind)) < self.max_slots[section.kind]
            ):
                self._add_slot(transceiver)
                if transceiver.mid is not None:
                    slot_mids.add(transceiver.mid)
        try:
            answer = await self.pc.createAnswer()
            await self.pc.setLocalDescription(answer)
        except Exception as exc:
            raise MediaError("negotiation_failed", f"could not answer: {exc}") from None
        self._watch_binding_answers()  # the ICE sockets exist once the answer is gathered
        return self.pc.localDescription.sdp

    @property
    def last_report(self) -> float:
        return max(self.last_report_of.values())

    def forwarding_runs(self, now: float, gap: float) -> dict[str, float | None]:
        """Per kind, when the current uninterrupted run of media sent to this member began (None:
        none of that kind is sent now). A run ends when no slot of the kind has sent anything for
        ``gap`` seconds. Sampled by the room's monitor, so a start is known to within one interval."""
        for kind in self.forwarding_since:
            active = any(now - s.stream.last_forwarded < gap for s in self.slots if s.kind == kind)
            if not active:
                self.forwarding_since[kind] = None
            elif self.forwarding_since[kind] is None:
                self.forwarding_since[kind] = now
        return dict(self.forwarding_since)

    def _watch_binding_answers(self) -> None:
        """Note every answered STUN binding request we send to the member.

        aioice runs ICE connectivity checks and then consent checks through
        ``StunProtocol.request`` on the connection's sockets and keeps no record of the last success;
        wrapping ``request`` on our own sockets gives it. An answer proves that the member's end
        receives what we send, even while the floor routes no media to it. If aioice's internals
        moved, ``last_answered`` becomes None and the room relies on the connection state alone.
        """
        connections = {
            id(c): c
            for t in self.pc.getTransceivers()
            if (c := getattr(getattr(t.sender.transport, "transport", None), "_connection", None)) is not None
        }
        watched = False
        for connection in connections.values():
            for protocol in getattr(connection, "_protocols", None) or []:
                if not callable(getattr(protocol, "request", None)):
                    continue
                watched = True
                if not getattr(protocol, "_council_watched", False):
                    protocol.request = self._noting_answers(protocol.request)
                    protocol._council_watched = True
        if not watched and self.last_answered is not None:
            logger.warning("aioice internals changed: consent freshness is not observed")
            self.last_answered = None

    def _noting_answers(self, request: Callable[..., Any]) -> Callable[..., Any]:
        async def noted(*args: Any, **kwargs: Any) -> Any:
            result = await request(*args, **kwargs)  # raises on timeout or an error response
            if self.last_answered is not None:
                self.last_answered = time.monotonic()
            return result

        return noted

    def _add_slot(self, transceiver: RTCRtpTransceiver) -> None:
        kind = transceiver.kind
        sender = transceiver.sender
        stream = OutStream(kind, sender)

        def keyframe_needed() -> None:
            if isinstance(stream.source, Source):
                stream.source.request_keyframe()

        stream.on_keyframe_needed = keyframe_needed
        attach_sender(stream)
        original_rtcp = sender._handle_rtcp_packet

        async def handle_rtcp(packet: Any) -> None:
            await original_rtcp(packet)
            if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
                for report in packet.reports:
                    if report.ssrc == sender._ssrc:
                        rtt = getattr(sender, "_RTCRtpSender__rtt", None)
                        if slot.last_highest is None or report.highest_sequence != slot.last_highest:
                            slot.last_highest = report.highest_sequence
                            self.last_report_of[kind] = time.monotonic()
                        self.hooks.receiver_report(self, report.fraction_lost / 256.0, rtt)

        sender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]
        transceiver.direction = "sendrecv"  # answer = sendrecv ∧ offered → sendonly for recvonly
        slot = Slot(kind=kind, mid=transceiver.mid or "", sender=sender, stream=stream)
        self.slots.append(slot)

    def _on_track(self, track: MediaStreamTrack) -> None:
        # Runs inside setRemoteDescription, before aiortc starts the receiver: early enough to put
        # the tap in place of its jitter buffer.
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        receiver = transceiver.receiver
        source = Source(person_id=self.person_id, kind=track.kind, track=track, receiver=receiver)
        if track.kind == "video":
            source.keyframes = KeyframeRequester(receiver)
        else:
            source.on_audio_level = lambda level: self.hooks.audio_level(self, level)
        tap_receiver(receiver, track.kind, transceiver._codecs, source)
        previous = self.sources.get(track.kind)
        self.sources[track.kind] = source

        def ended() -> None:
            if self.sources.get(source.kind) is source:
                del self.sources[source.kind]
            source.close()
            self.hooks.source_ended(self, source)

        source.task = asyncio.ensure_future(source.wait_for_end(ended))
        source.task.add_done_callback(_log_task_error)
        if previous is not None:
            previous.close()
        self.hooks.source_added(self, source)

    def _on_connection_state(self) -> None:
        if self.pc.connectionState == "connected" and self.last_answered is not None:
            # ICE completed, so checks between us and the member succeeded: an answer as good as any.
            self.last_answered = max(self.last_answered, time.monotonic())
        if self.pc.connectionState == "failed" and not self.closed:
            self.hooks.peer_failed(self)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for source in list(self.sources.values()):
            source.close()
        self.sources.clear()
        for slot in self.slots:
            if isinstance(slot.stream.source, Source):
                slot.stream.source.streams.discard(slot.stream)
            slot.stream.close()
        await self.pc.close()


def _restrict_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Keep only the forwarded codec (plus its RTX) on this m-line, now and in renegotiations.

    aiortc negotiates transceivers it creates from an offer before we can call
    ``setCodecPreferences``, so the already-negotiated list is filtered too.
    """
    wanted = FORWARDED_CODECS[transceiver.kind]
    kept = [c for c in transceiver._codecs if c.mimeType.lower() == wanted]
    primary = {c.payloadType for c in kept}
    kept += [
        c
        for c in transceiver._codecs
        if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in primary
    ]
    if kept:
        transceiver._codecs = kept
    capabilities = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    transceiver.setCodecPreferences(
        [c for c in capabilities if c.mimeType.lower() in (wanted, f"{transceiver.kind}/rtx")]
    )
