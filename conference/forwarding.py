"""Forwarding at the RTP level on top of aiortc: what turns it from an MCU into an SFU.

Stock aiortc reassembles every received packet into frames in a jitter buffer, decodes them in a
thread per receiver and re-encodes and re-packetizes them per sender; that costs ~20 % of a core
per receiver (MEDIA-NOTES.md §2). Here a publisher's packets never become frames:

* :class:`SourceTap` takes the place of a publisher receiver's jitter buffer. aiortc's
  ``RTCRtpReceiver._handle_rtp_packet`` keeps doing what a receiver owes its publisher (RTCP
  statistics for receiver reports, RTX unwrapping, NACKs for missing packets, REMB) and then hands
  each packet to the tap, which forwards it at once to every :class:`OutStream` pointed at the
  publisher: no jitter buffer, no depacketizing, no thread hop, no queue.
* :class:`OutStream` is one receiver's floor stream: it rewrites SSRC, sequence number,
  timestamp, payload type, header extensions and VP8 picture ids (``rtp.Rewrite``), writing the
  packet straight into the SRTP work buffer, encrypts it there with the receiver's SRTP context
  and sends it from there on the socket of its ICE pair (:func:`raw_sendto`), bypassing the
  sender's coroutine chain: per receiver and packet, no Python object but a memoryview is made.
  NACKs from the receiver are answered from the publisher's :class:`PacketCache`; picture-loss
  requests go on to the publisher through :class:`KeyframeRequester`.
* The sender itself stays in place for everything else (RTCP sender reports, the SSRC the
  receiver knows, stopping), reading an :class:`IdleTrack` that never yields.

A video stream joins a publisher only at a keyframe's first packet, and asks for one when it is
re-pointed. Decoding is needed only for the public composer: a tap with a decoded subscriber
also reassembles frames for it (``decoded.DecodeFanout``), once per publisher.

Everything here relies on aiortc private internals; :func:`check_aiortc_internals` fails loudly
if an upgrade changed them (aiortc is pinned to 1.16.0 in pyproject.toml).
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import inspect
import logging
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aioice.ice
import aiortc
import aiortc.rtp
import pylibsrtp
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver, TimestampMapper
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket
from pylibsrtp._binding import ffi as _srtp_ffi  # type: ignore[import-not-found]  # cffi module, no stubs
from pylibsrtp._binding import lib as _srtp_lib

from . import rtp

logger = logging.getLogger(__name__)

SUPPORTED_AIORTC = "1.16.0"
PLI_MIN_INTERVAL = 1.0  # seconds between PLIs to one publisher (MEDIA-NOTES.md §8: PLI storms)
CACHE_PACKETS = 512  # per publisher: ~4 s of 500 kbit/s video, for answering NACKs
_CONNECTED = DtlsState.CONNECTED
_SelectorDatagramTransport: Any = getattr(asyncio.selector_events, "_SelectorDatagramTransport", None)

_installed = False


class MediaInternalsChanged(RuntimeError):
    """The aiortc internals the forwarding relies on are not what this code was written for."""


@dataclass(slots=True)
class ForwardingStats:
    """Process-wide counters (read by the bench and the tests)."""

    received: int = 0  # publisher packets that reached a tap
    quiet: int = 0  # of them, audio that nobody received, read straight from the socket (QuietAudio)
    forward_seconds: float = 0.0  # CPU time (this thread, kernel included) spent sending to receivers:
    # the forwarding path. CPU, not wall time: a busy machine preempting the loop must not count
    packets: int = 0  # packets sent to receivers, retransmissions included
    retransmitted: int = 0


stats = ForwardingStats()
# Bench instrumentation: called with the kind right after a publisher packet went to every stream
# pointed at its publisher (synchronously, in the same step that received it). None in production.
probe: Callable[[str], None] | None = None


@dataclass(slots=True)
class EncodedFrame:
    """One complete encoded frame, for the decoder of the public composer."""

    codec: RTCRtpCodecParameters
    data: bytes
    timestamp: int  # in codec clock units, rebased to start at 0
    keyframe: bool
    arrival: float  # time.monotonic() when it was complete


def is_keyframe(codec: RTCRtpCodecParameters, data: bytes) -> bool:
    """VP8 (depayloaded frame): the payload header's P bit (RFC 6386 §9.1) is 0 for a keyframe.
    Audio: always."""
    if codec.mimeType.lower() == "video/vp8":
        return bool(data) and (data[0] & 0x01) == 0
    return True


def install() -> None:
    """Check aiortc's internals and speed up its receive path, once per process (idempotent).

    aioice tries to parse every datagram as STUN before passing it on, which costs an exception per
    media packet; RFC 7983 tells them apart by the first byte (128-191: RTP and RTCP). And audio
    that nobody receives now is taken straight from the socket (:class:`QuietAudio`).
    """
    global _installed
    if _installed:
        return
    check_aiortc_internals()
    stock = aioice.ice.StunProtocol.datagram_received

    def datagram_received(self: aioice.ice.StunProtocol, data: bytes | str, addr: tuple[Any, ...]) -> None:
        if data and 127 < data[0] < 192 and self.receiver is not None:  # type: ignore[operator]
            quiet = self.receiver.__dict__.get("_council_quiet_audio")
            if quiet is not None and not 191 < data[1] < 209 and quiet(data):  # type: ignore[operator]
                return
            self.receiver.data_received(data, self.local_candidate.component)  # type: ignore[arg-type]
            return
        stock(self, data, addr)

    aioice.ice.StunProtocol.datagram_received = datagram_received  # type: ignore[method-assign]
    _installed = True


def check_aiortc_internals() -> None:
    """Raise :class:`MediaInternalsChanged` if any private aiortc detail we rely on moved."""
    problems: list[str] = []
    if aiortc.__version__ != SUPPORTED_AIORTC:
        problems.append(f"aiortc {aiortc.__version__} installed, forwarding written for {SUPPORTED_AIORTC}")
    for cls, name in (
        (RTCRtpSender, "_send_keyframe"),
        (RTCRtpSender, "_handle_rtcp_packet"),
        (RTCRtpSender, "_retransmit"),
        (RTCRtpReceiver, "_send_rtcp_pli"),
        (RTCRtpReceiver, "_handle_rtp_packet"),
    ):
        if not callable(getattr(cls, name, None)):
            problems.append(f"{cls.__name__}.{name} is missing")
    handle_rtp = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    if "self.__jitter_buffer.add(packet)" not in handle_rtp:
        problems.append("RTCRtpReceiver._handle_rtp_packet no longer feeds its jitter buffer via add(packet)")
    if handle_rtp.find("unwrap_rtx") > handle_rtp.find("self.__jitter_buffer.add"):
        problems.append("RTCRtpReceiver._handle_rtp_packet no longer unwraps RTX before the jitter buffer")
    sender_rtcp = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    for needle, what in (
        ("self._send_keyframe()", "calls _send_keyframe on PLI/FIR"),
        ("await self._retransmit(seq)", "calls _retransmit on NACK"),
    ):
        if needle not in sender_rtcp:
            problems.append(f"RTCRtpSender._handle_rtcp_packet no longer {what}")
    if "self._tx_srtp.protect(data)" not in inspect.getsource(RTCDtlsTransport._send_rtp):
        problems.append("RTCDtlsTransport._send_rtp no longer protects with _tx_srtp")
    if "active_pair.protocol.send_data(data, active_pair.remote_addr)" not in inspect.getsource(
        aioice.ice.Connection.sendto
    ):
        problems.append("aioice Connection.sendto no longer sends on its nominated pair")
    if "self.receiver.data_received(data, self.local_candidate.component)" not in inspect.getsource(
        aioice.ice.StunProtocol.datagram_received
    ):
        problems.append("aioice StunProtocol.datagram_received no longer passes non-STUN data to its receiver")
    if "self._srtp = ffi.gc(" not in inspect.getsource(pylibsrtp.Session.__init__):
        problems.append("pylibsrtp.Session no longer keeps its srtp_t in _srtp (Protector)")
    for call in (_srtp_lib.srtp_protect, _srtp_lib.srtp_unprotect):
        if _srtp_ffi.typeof(call).cname != "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)":
            problems.append(f"libsrtp's {_srtp_ffi.typeof(call).cname} is not the in-place call of libsrtp 2")
    datagram_send = inspect.getsource(getattr(_SelectorDatagramTransport, "sendto", lambda: None))
    for needle in ("if not self._buffer:", "self._sock.sendto(data, addr)"):
        if needle not in datagram_send:
            problems.append(f"asyncio's datagram transport no longer does {needle!r} (raw_sendto)")
    # Instance attributes are only visible in the constructors' source (building a sender needs
    # a running event loop, and this check must work anywhere).
    receiver_init = inspect.getsource(RTCRtpReceiver.__init__)
    sender_init = inspect.getsource(RTCRtpSender.__init__)
    for needle, where, what in (
        ("self.__rtx_ssrc: dict[int, int]", receiver_init, "RTCRtpReceiver.__rtx_ssrc (rtx -> media ssrc)"),
        ("self.__jitter_buffer = JitterBuffer(", receiver_init, "RTCRtpReceiver.__jitter_buffer"),
        ("self.__remote_streams: dict[int, StreamStatistics]", receiver_init, "RTCRtpReceiver.__remote_streams"),
        ("self.__ids = HeaderExtensions()", inspect.getsource(aiortc.rtp.HeaderExtensionsMap.__init__),
         "HeaderExtensionsMap.__ids"),
        ("self.__rtt", sender_init, "RTCRtpSender.__rtt"),
        ("self.__transport = transport", sender_init, "RTCRtpSender.__transport"),
        ("self._ssrc", sender_init, "RTCRtpSender._ssrc"),
        ("self._rtx_ssrc", sender_init, "RTCRtpSender._rtx_ssrc"),
        ("self.__ntp_timestamp", sender_init, "RTCRtpSender.__ntp_timestamp (sender reports)"),
        ("self.__rtp_timestamp", sender_init, "RTCRtpSender.__rtp_timestamp (sender reports)"),
        ("self.__octet_count", sender_init, "RTCRtpSender.__octet_count (sender reports)"),
        ("self.__packet_count", sender_init, "RTCRtpSender.__packet_count (sender reports)"),
        ("self._codecs", inspect.getsource(aiortc.RTCRtpTransceiver.__init__), "RTCRtpTransceiver._codecs"),
        ("self._nominated", inspect.getsource(aioice.ice.Connection.__init__), "aioice Connection._nominated"),
    ):
        if needle not in where:
            problems.append(f"{what} is missing")
    if problems:
        raise MediaInternalsChanged(
            "aiortc internals used by conference/forwarding.py changed: " + "; ".join(problems)
        )


def media_ssrc(receiver: RTCRtpReceiver) -> int | None:
    """The publisher's current media SSRC, never its RTX SSRC (Chrome ignores PLIs for RTX)."""
    rtx: dict[int, int] = getattr(receiver, "_RTCRtpReceiver__rtx_ssrc", {})
    sources = [s for s in receiver.getSynchronizationSources() if s.source not in rtx]
    if not sources:
        return None
    return max(sources, key=lambda s: s.timestamp).source


class KeyframeRequester:
    """Rate-limited PLI to one publisher's video receiver.

    Requests inside the interval are coalesced into one deferred PLI rather than dropped, so a
    late joiner is served within ``PLI_MIN_INTERVAL`` even if someone else asked just before.
    """

    def __init__(self, receiver: RTCRtpReceiver, min_interval: float = PLI_MIN_INTERVAL) -> None:
        self._receiver = receiver
        self._min_interval = min_interval
        self._last = -1e9
        self._pending: asyncio.TimerHandle | None = None
        self._closed = False
        self.sent = 0

    def request(self) -> None:
        if self._closed or self._pending is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._last + self._min_interval - time.monotonic()
        if wait <= 0:
            self._send()
        else:
            self._pending = loop.call_later(wait, self._send)

    def _send(self) -> None:
        self._pending = None
        if self._closed:
            return
        ssrc = media_ssrc(self._receiver)
        if ssrc is None:
            return
        self._last = time.monotonic()
        self.sent += 1
        task = asyncio.ensure_future(self._receiver._send_rtcp_pli(ssrc))
        task.add_done_callback(_log_task_error)

    def close(self) -> None:
        self._closed = True
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


class PacketCache:
    """The last ``CACHE_PACKETS`` packets of one publisher, by sequence number (for NACKs)."""

    __slots__ = ("_packets",)

    def __init__(self) -> None:
        self._packets: list[rtp.InPacket | None] = [None] * CACHE_PACKETS

    def put(self, packet: rtp.InPacket) -> None:
        self._packets[packet.sequence % CACHE_PACKETS] = packet

    def get(self, sequence: int) -> rtp.InPacket | None:
        packet = self._packets[sequence % CACHE_PACKETS]
        return packet if packet is not None and packet.sequence == sequence else None

    def clear(self) -> None:
        self._packets = [None] * CACHE_PACKETS


class IdleTrack(MediaStreamTrack):
    """What a floor sender reads: nothing, ever (the stream sends past it); ends when stopped."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._ended: asyncio.Future[None] | None = None

    async def recv(self) -> Any:
        if self.readyState == "live":
            if self._ended is None:
                self._ended = asyncio.get_running_loop().create_future()
            await self._ended
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)


_BUFFER = 1500  # bytes: what pylibsrtp allows for one packet, its authentication tag included
_per_thread = threading.local()


def _thread_buffer() -> tuple[Any, memoryview]:
    """This thread's SRTP work buffer (the event loop's). Every packet is written, encrypted and
    sent before the next one is written, so one buffer serves every session and stays in the CPU
    cache (one per stream would spread 300 of them over half a megabyte at a 77-member council)."""
    buffer: tuple[Any, memoryview] | None = getattr(_per_thread, "buffer", None)
    if buffer is None:
        cdata = _srtp_ffi.new("char[]", _BUFFER)
        buffer = _per_thread.buffer = (cdata, memoryview(_srtp_ffi.buffer(cdata)))
    return buffer


class _LeanSession:
    """SRTP on one session without pylibsrtp's per-call allocation, checks and copies.

    ``pylibsrtp.Session.protect``/``unprotect`` allocate a length cell per packet and copy the
    packet in and out through two Python frames: about half the cost of encrypting a video packet.
    This uses its thread's buffer (``view``, :func:`_thread_buffer`) and one length cell, and calls
    libsrtp on the buffer in place, so a packet can be written straight into ``view``
    (``rtp.Rewrite.write``), encrypted, and handed to the socket as a slice of it with no copy.
    Everything runs on the event loop's thread: nothing else writes the buffer between writing a
    packet and sending it, and what a call returns is valid until the next call of any session.
    """

    __slots__ = ("session", "_srtp", "_cdata", "_all", "view", "_length")

    def __init__(self, session: pylibsrtp.Session, *, room_for_trailer: bool) -> None:
        self.session = session
        self._srtp = session._srtp[0]
        self._cdata, self._all = _thread_buffer()
        # Protecting appends the authentication tag: what is written must leave room for it.
        self.view = self._all[: _BUFFER - (pylibsrtp.SRTP_MAX_TRAILER_LEN if room_for_trailer else 0)]
        self._length = _srtp_ffi.new("int *")

    def _apply(self, libsrtp_call: Any, size: int) -> memoryview:
        length = self._length
        length[0] = size
        status = libsrtp_call(self._srtp, self._cdata, length)
        if status:
            raise pylibsrtp.Error(pylibsrtp.ERRORS[status] if status < len(pylibsrtp.ERRORS) else str(status))
        return self._all[: length[0]]

    def _copy_in(self, data: bytes) -> int:
        size = len(data)
        if size > len(self.view):
            raise pylibsrtp.Error("packet is too long")
        self.view[:size] = data
        return size


class Protector(_LeanSession):
    """Encrypts one outbound session's RTP (see :class:`_LeanSession`)."""

    __slots__ = ()

    def __init__(self, session: pylibsrtp.Session) -> None:
        super().__init__(session, room_for_trailer=True)

    def seal(self, size: int) -> memoryview:
        """Encrypt the ``size``-byte packet written at the start of ``view``, in place; the SRTP
        packet is valid until the next call on this session."""
        length = self._length  # _apply inlined: this runs once per forwarded packet
        length[0] = size
        status = _srtp_lib.srtp_protect(self._srtp, self._cdata, length)
        if status:
            raise pylibsrtp.Error(pylibsrtp.ERRORS[status] if status < len(pylibsrtp.ERRORS) else str(status))
        return self._all[: length[0]]

    def protect(self, data: bytes) -> bytes:
        return bytes(self.seal(self._copy_in(data)))


class Unprotector(_LeanSession):
    """Decrypts one inbound session's RTP (see :class:`_LeanSession`)."""

    __slots__ = ()

    def __init__(self, session: pylibsrtp.Session) -> None:
        super().__init__(session, room_for_trailer=False)

    def open(self, data: bytes) -> memoryview:
        """Authenticate and decrypt ``data``; the RTP packet is valid until the next call."""
        return self._apply(_srtp_lib.srtp_unprotect, self._copy_in(data))

    def unprotect(self, data: bytes) -> bytes:
        return bytes(self.open(data))


class Seen:
    """What ``StreamStatistics.add`` reads of a packet."""

    __slots__ = ("sequence_number", "timestamp")

    def __init__(self) -> None:
        self.sequence_number = self.timestamp = 0


_SEQ_TS_SSRC = struct.Struct("!HII")
QUIET_AUTHENTICATE_EVERY = 8  # quiet audio: one packet in this many is decrypted and authenticated
QUIET_AHEAD = 64  # ... and the others count only if at most this far ahead of the last authentic one


class QuietAudio:
    """A member's audio while nobody receives it: most of a council, most of the time.

    Such packets need only what the log and the publisher are owed: that audio arrives (the
    presence measurement), its level (who is talking) and the receiver-report statistics. So they
    are read straight from the socket callback, skipping aioice's queue, the DTLS transport's task,
    aiortc's parser, router and receiver. Anything else (a packet of another SSRC, audio someone
    receives or the composer decodes) returns False and takes aiortc's path; the first packet
    always does, which is how the SSRC and its statistics become known.

    Nothing of them is forwarded, so not every one is decrypted: one in
    ``QUIET_AUTHENTICATE_EVERY`` is authenticated (which also keeps the SRTP context's rollover
    counter and replay window current for when the member gets the floor), and only authentic ones
    count as arrived audio and give the level (every 160 ms at 50 packets/s, inside the 1 s arrival
    window and the room's 5 Hz level). The others feed only the receiver-report statistics, from
    the header SRTP leaves in clear, and only while their sequence number is at most
    ``QUIET_AHEAD`` past the last authentic packet: a forger on the member's address could skew the
    loss figure of a few dozen packets, never the presence measurement.
    """

    __slots__ = ("receiver", "source", "_unprotector", "_seen", "_level_id", "_unchecked", "_authentic")

    def __init__(self, receiver: RTCRtpReceiver, source: Any) -> None:
        self.receiver = receiver
        self.source = source
        self._unprotector: Unprotector | None = None
        self._seen = Seen()
        self._level_id = 0
        self._unchecked = QUIET_AUTHENTICATE_EVERY  # packets counted since the last authentic one (the
        # first packet is always authenticated)
        self._authentic = 0  # the sequence number of the last authentic packet

    def attach(self) -> None:
        """Take packets from the receiver's (bundled) connection; once media flows, when both the
        connection and the negotiated header extension ids are final."""
        dtls = self.receiver.transport
        ids = getattr(dtls._rtp_header_extensions_map, "_HeaderExtensionsMap__ids", None)
        self._level_id = getattr(ids, "audio_level", None) or 0
        self._unchecked = QUIET_AUTHENTICATE_EVERY
        dtls.transport._connection._council_quiet_audio = self  # type: ignore[attr-defined]

    def __call__(self, data: bytes) -> bool:
        source = self.source
        statistics = source.statistics
        if statistics is None or source.streams or len(data) < 12:
            return False
        sequence, timestamp, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
        if ssrc != source.ssrc or not self.receiver._enabled or (source.decoded is not None and source.decoded.wanted):
            return False
        if self._unchecked < QUIET_AUTHENTICATE_EVERY - 1 and 0 < (sequence - self._authentic) & 0xFFFF <= QUIET_AHEAD:
            self._unchecked += 1
        else:
            session = self.receiver.transport._rx_srtp
            if session is None:
                return False
            unprotector = self._unprotector
            if unprotector is None or unprotector.session is not session:
                unprotector = self._unprotector = Unprotector(session)
            try:
                unprotector.open(data)
            except pylibsrtp.Error:
                return True  # aiortc drops what fails to authenticate, too
            self._unchecked = 0
            self._authentic = sequence
            # The header SRTP authenticated is the one in clear in ``data``.
            source.audio_arrived(time.monotonic(), rtp.audio_level(data, self._level_id))
        seen = self._seen
        seen.sequence_number, seen.timestamp = sequence, timestamp
        statistics.add(seen)  # what our receiver reports to the publisher
        stats.received += 1
        stats.quiet += 1
        return True


class OutStream:
    """One receiving floor m-line: forwards whichever publisher the room points it at.

    Created on the member's ``RTCRtpSender``; learns the negotiated payload type, SSRCs and header
    extension ids when aiortc starts the sender (:meth:`configure`), and from then on sends
    rewritten packets straight onto the member's SRTP context and ICE pair.
    """

    def __init__(
        self,
        kind: str,
        sender: RTCRtpSender,
        *,
        on_keyframe_needed: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self.sender = sender
        self.on_keyframe_needed = on_keyframe_needed
        self.source: Any = None  # the peer.Source forwarded now (duck-typed: .cache, .streams)
        self.forwarded = 0
        self.retransmitted = 0
        self.dropped = 0  # packets not sent: waiting for a keyframe, not yet connected, stale
        self.last_forwarded = 0.0  # monotonic time a packet last left towards the member
        self.closed = False
        self._rewrite: rtp.Rewrite | None = None
        self._protector: Protector | None = None
        self._dtls: Any = None  # the sender's DTLS transport last sent on, and its ICE nominations
        self._nominated: dict[int, Any] = {}
        self._pair: Any = None  # the ICE pair last sent on, its transport, socket and the member's address
        self._udp: Any = None
        self._sendto: Callable[[Any, Any], Any] | None = None
        self._address: Any = None
        self._sent = self._octets = 0
        self._bound_ssrc = -1  # the publisher SSRC of the current run
        self._need_keyframe = kind == "video"

    @property
    def configured(self) -> bool:
        return self._rewrite is not None

    def configure(self, parameters: RTCRtpSendParameters) -> None:
        """Read what the answer negotiated for this m-line (aiortc calls ``sender.send`` with it)."""
        codec = parameters.codecs[0]
        assert codec.payloadType is not None  # aiortc assigns payload types when negotiating
        ids = rtp.StreamIds(ssrc=self.sender._ssrc, payload_type=codec.payloadType, mid=parameters.muxId or "")
        for candidate in parameters.codecs[1:]:
            if candidate.mimeType.lower().endswith("/rtx") and candidate.parameters.get("apt") == codec.payloadType:
                ids.rtx_payload_type, ids.rtx_ssrc = candidate.payloadType, self.sender._rtx_ssrc
                break
        for ext in parameters.headerExtensions:
            if 0 < ext.id < 15:  # one-byte form only (RFC 8285 §4.2); aiortc offers nothing else
                if ext.uri == rtp.MID_URI:
                    ids.mid_id = ext.id
                elif ext.uri == rtp.ABS_SEND_TIME_URI:
                    ids.abs_send_time_id = ext.id
                elif ext.uri == rtp.AUDIO_LEVEL_URI:
                    ids.audio_level_id = ext.id
        previous = self._rewrite
        if previous is not None and previous.ids == ids:
            return  # aiortc calls send() again on every negotiation: nothing changed
        self._rewrite = rtp.Rewrite(ids, codec.clockRate)
        if previous is not None:  # renegotiated: keep the numbers running
            self._rewrite.last_sequence, self._rewrite.last_timestamp = previous.last_sequence, previous.last_timestamp
            self._rewrite.last_pid, self._rewrite.last_tl0 = previous.last_pid, previous.last_tl0
        self._restart()

    def switch(self, source: Any) -> None:
        """Point the stream at another publisher's source (``None`` idles it). Idempotent."""
        if source is self.source:
            return
        self.source = source
        self._restart()

    def _restart(self) -> None:
        if self.kind == "video":
            self._need_keyframe = True
        if self._rewrite is None:
            return  # not connected yet: configure() restarts it, and a keyframe asked now would be lost
        self._rewrite.unbind()
        if self.kind == "video" and self.source is not None and self.on_keyframe_needed is not None:
            self.on_keyframe_needed()

    def forward(self, packet: rtp.InPacket, now: float) -> None:
        """Send the member its copy of one packet of the source (called by the source's tap)."""
        rewrite = self._rewrite
        if rewrite is None or self.closed:
            self.dropped += 1
            return
        if not rewrite.bound or packet.ssrc != self._bound_ssrc:
            if self._need_keyframe and not packet.keyframe_start:
                self.dropped += 1
                return
            rewrite.bind(packet, now)
            self._bound_ssrc = packet.ssrc
            self._need_keyframe = False
        elif (packet.sequence - rewrite.first) & 0xFFFF >= 0x8000:  # not rewrite.belongs(packet), inlined
            self.dropped += 1  # a late packet from before this run began
            return
        protector = self._ready()
        if protector is None:
            self.dropped += 1
            return
        try:  # written straight into the SRTP buffer, encrypted there and sent from it: no copies
            size = rewrite.write(packet, now, protector.view)
        except ValueError:  # too long once our header extensions are added
            self.dropped += 1
            return
        if self._transmit(protector, size, packet):
            self.forwarded += 1
            self.last_forwarded = now
            stats.packets += 1

    def retransmit(self, sequence: int) -> None:
        """Answer a NACK for a packet we sent in this run, from the publisher's cache."""
        rewrite, source = self._rewrite, self.source
        if rewrite is None or source is None or self.closed:
            return
        original = rewrite.publisher_sequence(sequence)
        packet = source.cache.get(original) if original is not None else None
        if packet is None or packet.ssrc != self._bound_ssrc:
            return
        data = rewrite.rtx(packet)
        protector = self._ready()
        if data is None or protector is None:
            return
        size = len(data)
        if size > len(protector.view):
            return
        protector.view[:size] = data
        if self._transmit(protector, size, packet):
            self.retransmitted += 1
            stats.retransmitted += 1
            stats.packets += 1

    async def retransmit_async(self, sequence: int) -> None:
        """``RTCRtpSender._retransmit`` replacement (the sender's RTCP handler awaits it)."""
        self.retransmit(sequence)

    def _ready(self) -> Protector | None:
        """The SRTP context to send with now, with the ICE pair to send on; None while the member's
        DTLS transport is not connected or ICE has no pair. Cheap when nothing changed (per packet)."""
        dtls = self.sender._RTCRtpSender__transport  # type: ignore[attr-defined]  # a property call saved
        if dtls._state is not _CONNECTED:
            return None
        if dtls is not self._dtls:
            self._dtls, self._nominated = dtls, dtls.transport._connection._nominated
        pair = self._nominated.get(1)
        if pair is not self._pair:  # the first packet, or ICE nominated another pair
            self._pair = pair
            if pair is None:
                self._udp = self._sendto = self._address = None
            else:
                self._udp, self._address = pair.protocol.transport, pair.remote_addr
                self._sendto = raw_sendto(self._udp)
        if self._udp is None:
            return None
        protector = self._protector
        if protector is None or protector.session is not dtls._tx_srtp:
            protector = self._protector = Protector(dtls._tx_srtp)
        return protector

    def _transmit(self, protector: Protector, size: int, packet: rtp.InPacket) -> bool:
        """Encrypt the packet written in the protector's buffer and send it to the member."""
        try:
            data = protector.seal(size)
        except pylibsrtp.Error:
            self.dropped += 1
            return False
        udp, sendto = self._udp, self._sendto
        if sendto is None or udp._buffer:  # keep the order of what asyncio has queued
            udp.sendto(bytes(data), self._address)
        else:
            try:
                sendto(data, self._address)
            except (BlockingIOError, InterruptedError):
                udp.sendto(bytes(data), self._address)  # the transport queues it and waits for the socket
            except OSError:
                self.dropped += 1  # the socket closed, or the kernel refused (asyncio would drop it too)
                return False
        self._sent += 1
        self._octets += len(packet.payload)
        if not self._sent & 0x0F:
            self._report_to_sender(packet)
        return True

    def _report_to_sender(self, packet: rtp.InPacket) -> None:
        """What the sender's RTCP sender reports state, which aiortc sets per packet in the
        ``_run_rtp`` we bypass: every 16th packet is enough (a consistent NTP/RTP timestamp pair
        for lip sync, and counts that SRs only inform about)."""
        sender = self.sender
        sender._RTCRtpSender__ntp_timestamp = packet.ntp  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = self._rewrite.last_timestamp  # type: ignore[union-attr, attr-defined]
        sender._RTCRtpSender__packet_count = self._sent  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count = self._octets  # type: ignore[attr-defined]

    @property
    def sent(self) -> int:
        """Packets sent to the member, retransmissions included."""
        return self._sent

    def close(self) -> None:
        self.closed = True
        self.switch(None)


class SourceTap:
    """Stands in for a publisher receiver's ``JitterBuffer``: aiortc hands it every packet (RTX
    unwrapped, NACKs sent) and it forwards the packet to the source's streams.

    ``on_packet`` is the source's bookkeeping (arrival time, audio level); ``decode`` is set while
    the public composer wants this publisher decoded: it gets complete frames.
    """

    capacity = 16  # read by aiortc's receiver only through its jitter buffer; never used here

    def __init__(self, kind: str, codecs: dict[int, RTCRtpCodecParameters], source: Any) -> None:
        self.kind = kind
        self.codecs = codecs
        self.source = source
        self._vp8 = {pt for pt, c in codecs.items() if c.mimeType.lower() == "video/vp8"}
        self._frames: JitterBuffer | None = None
        self._mapper = TimestampMapper()
        self.statistics: dict[int, Any] = {}  # the receiver's StreamStatistics by SSRC (tap_receiver)
        self.quiet: QuietAudio | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        now = time.monotonic()
        stats.received += 1
        if not packet.payload:  # padding only (bandwidth probing): nothing to forward
            return False, None
        source = self.source
        view = rtp.InPacket(
            sequence=packet.sequence_number,
            timestamp=packet.timestamp,
            marker=packet.marker,
            payload=packet.payload,
            ssrc=packet.ssrc,
            vp8=packet.payload_type in self._vp8,
            ntp=rtp.ntp_now(),
            audio_level=packet.extensions.audio_level,
        )
        source.cache.put(view)
        source.packet_arrived(view, now)
        if source.ssrc != packet.ssrc:
            source.ssrc = packet.ssrc
            source.statistics = self.statistics.get(packet.ssrc)
            if self.quiet is not None:
                self.quiet.attach()
        streams = source.streams
        if streams:
            started = time.thread_time()
            for stream in streams:
                stream.forward(view, now)
            stats.forward_seconds += time.thread_time() - started
        if probe is not None:
            probe(self.kind)
        decoded = source.decoded
        if decoded is not None and decoded.wanted:
            self._decode(packet, decoded, now)
        return False, None

    def remove(self, count: int) -> None:
        pass

    def _decode(self, packet: RtpPacket, decoded: Any, now: float) -> None:
        codec = self.codecs.get(packet.payload_type)
        if codec is None:
            return
        if self.kind == "audio":
            decoded.push(EncodedFrame(codec, packet.payload, self._mapper.map(packet.timestamp), True, now))
            return
        if self._frames is None:
            self._frames = JitterBuffer(capacity=128, is_video=True)
        _, frame = self._frames.add(packet)  # packet._data: aiortc depayloaded it before the tap
        if frame is not None:
            decoded.push(
                EncodedFrame(codec, frame.data, self._mapper.map(frame.timestamp), is_keyframe(codec, frame.data), now)
            )


def raw_sendto(udp: Any) -> Callable[[Any, Any], Any] | None:
    """The ``sendto`` of the socket under an asyncio datagram transport, or None (another kind of
    transport: send through it). Forwarding calls it directly, skipping the transport's per-call
    checks (a sixth of the forwarding path); it falls back to the transport while that has queued
    datagrams (their order) or when the socket would block (the transport then queues and waits).
    The bench wraps this to count what is sent."""
    if type(udp) is not _SelectorDatagramTransport or udp.get_extra_info("peername"):
        return None
    return udp._sock.sendto  # type: ignore[no-any-return]


def tap_receiver(receiver: RTCRtpReceiver, kind: str, codecs: list[RTCRtpCodecParameters], source: Any) -> SourceTap:
    """Put a :class:`SourceTap` where the receiver's jitter buffer was. Must run before media
    arrives (the "track" event during ``setRemoteDescription`` is early enough)."""
    media = {c.payloadType: c for c in codecs if c.payloadType is not None and not c.mimeType.lower().endswith("/rtx")}
    tap = SourceTap(kind, media, source)
    receiver._RTCRtpReceiver__jitter_buffer = tap  # type: ignore[attr-defined]
    tap.statistics = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    if kind == "audio":
        tap.quiet = QuietAudio(receiver, source)
    return tap


def attach_sender(stream: OutStream) -> None:
    """Wire an :class:`OutStream` into its ``RTCRtpSender``: configuration when aiortc starts it,
    NACKs and keyframe requests from the member, and an idle track for the bypassed packet loop."""
    sender = stream.sender
    original_send = sender.send

    async def send(parameters: RTCRtpSendParameters) -> None:
        stream.configure(parameters)
        await original_send(parameters)

    def keyframe_needed() -> None:
        if stream.on_keyframe_needed is not None:
            stream.on_keyframe_needed()

    sender.send = send  # type: ignore[method-assign]
    sender._retransmit = stream.retransmit_async  # type: ignore[method-assign, assignment]
    # PLI/FIR from the member: the stock sender would only set a flag for an encoder we do not
    # run; send it on to whoever currently feeds this stream.
    sender._send_keyframe = keyframe_needed  # type: ignore[method-assign]
    sender.replaceTrack(IdleTrack(stream.kind))


def _log_task_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("media background task failed", exc_info=task.exception())
