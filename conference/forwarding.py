"""Packet forwarding on top of aiortc: the pieces that turn it from an MCU into an SFU.

Stock aiortc decodes every received track in a per-receiver thread (``decoder_worker``) and
re-encodes per sender; that costs ~20 % of a core per receiver (MEDIA-NOTES.md §2). Here:

* :func:`install` swaps ``aiortc.rtcrtpreceiver.decoder_worker`` for a dispatcher that passes the
  jitter buffer's encoded frames through untouched for receivers we registered with
  :func:`mark_passthrough`, and decodes as usual for every other receiver (test clients, the
  public composer's own peers), so one process can hold both.
* :class:`SlotTrack` is what an outgoing ``RTCRtpSender`` reads: a bounded, re-pointable relay.
  ``RTCRtpSender`` accepts any object that is not an ``av.Frame`` and just re-packetizes it
  (``Encoder.pack``), so forwarding costs no codec work at all.
* :class:`KeyframeRequester` forwards picture-loss requests to the publisher, at most once per
  second per publisher, using the media SSRC (Chrome ignores a PLI naming its RTX SSRC).

Everything here relies on aiortc private internals; :func:`check_aiortc_internals` fails loudly
if an upgrade changed them (aiortc is pinned to 1.16.0 in pyproject.toml).
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import inspect
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiortc
import aiortc.rtcrtpreceiver as _rtcrtpreceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

logger = logging.getLogger(__name__)

SUPPORTED_AIORTC = "1.16.0"
PLI_MIN_INTERVAL = 1.0  # seconds between PLIs to one publisher (MEDIA-NOTES.md §8: PLI storms)
AUDIO_QUEUE_FRAMES = 10  # 200 ms of Opus: beyond that, old audio is worthless
VIDEO_QUEUE_FRAMES = 30  # ~1 s of video: beyond that, skip to the next keyframe

_stock_decoder_worker = _rtcrtpreceiver.decoder_worker
_passthrough_queues: weakref.WeakSet[asyncio.Queue[Any]] = weakref.WeakSet()
_installed = False


class MediaInternalsChanged(RuntimeError):
    """The aiortc internals the forwarding relies on are not what this code was written for."""


@dataclass(slots=True)
class EncodedFrame:
    """One complete encoded frame as it leaves a publisher's jitter buffer."""

    codec: RTCRtpCodecParameters
    data: bytes
    timestamp: int  # in codec clock units, already rebased to start at 0 by aiortc
    keyframe: bool
    arrival: float  # time.monotonic() when it left the jitter buffer


class OutPacket:
    """What a :class:`SlotTrack` hands to ``RTCRtpSender``: duck-typed ``av.Packet``.

    ``Vp8Encoder.pack`` / ``OpusEncoder.pack`` only call ``bytes()`` and read ``pts`` and
    ``time_base``; building a real ``av.Packet`` per subscriber would copy the payload again.
    """

    __slots__ = ("_data", "pts", "time_base", "keyframe")

    def __init__(self, data: bytes, pts: int, time_base: fractions.Fraction, keyframe: bool) -> None:
        self._data = data
        self.pts = pts
        self.time_base = time_base
        self.keyframe = keyframe

    def __bytes__(self) -> bytes:
        return self._data


class NullJitterBuffer:
    """Stands in for an audio receiver's ``JitterBuffer``: audio is forwarded per RTP packet
    before it (see ``peer.MemberPeer._tap_audio``), so nothing must come out of it."""

    capacity = 16

    def add(self, packet: Any) -> tuple[bool, None]:
        return False, None

    def remove(self, count: int) -> None:
        pass


def is_keyframe(codec: RTCRtpCodecParameters, data: bytes) -> bool:
    """VP8: the payload header's P bit (RFC 6386 §9.1) is 0 for a keyframe. Audio: always."""
    if codec.mimeType.lower() == "video/vp8":
        return bool(data) and (data[0] & 0x01) == 0
    return True


def passthrough_worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue[Any],
    output_q: asyncio.Queue[Any],
    decode_error: threading.Event,
) -> None:
    """aiortc 1.16.0 ``decoder_worker`` replacement: forward encoded frames, decode nothing."""
    if output_q not in _passthrough_queues:
        _stock_decoder_worker(loop, input_q, output_q, decode_error)
        return
    while True:
        task = input_q.get()
        if task is None:
            break
        codec, jitter_frame = task
        frame = EncodedFrame(
            codec=codec,
            data=jitter_frame.data,
            timestamp=jitter_frame.timestamp,
            keyframe=is_keyframe(codec, jitter_frame.data),
            arrival=time.monotonic(),
        )
        # call_soon_threadsafe is far cheaper than run_coroutine_threadsafe (no task per frame)
        # and keeps FIFO order.
        try:
            loop.call_soon_threadsafe(output_q.put_nowait, frame)
        except RuntimeError:  # loop closed while the receiver was shutting down
            return
    try:
        loop.call_soon_threadsafe(output_q.put_nowait, None)  # ends the RemoteStreamTrack
    except RuntimeError:
        pass


def install() -> None:
    """Install the pass-through dispatcher once per process (idempotent).

    ``RTCRtpReceiver.receive`` looks ``decoder_worker`` up in its module globals at call time,
    which is what makes the swap work.
    """
    global _installed
    if _installed:
        return
    check_aiortc_internals()
    _rtcrtpreceiver.decoder_worker = passthrough_worker
    _installed = True


def mark_passthrough(track: MediaStreamTrack) -> None:
    """Make the receiver behind this remote track forward encoded frames instead of decoding.

    Must run before the receiver starts (``RTCPeerConnection`` emits "track" during
    ``setRemoteDescription`` and starts receivers only once DTLS is up, so the "track" handler is
    early enough).
    """
    if not isinstance(track, RemoteStreamTrack):
        raise TypeError("only remote tracks can be forwarded")
    _passthrough_queues.add(track._queue)


def check_aiortc_internals() -> None:
    """Raise :class:`MediaInternalsChanged` if any private aiortc detail we rely on moved."""
    problems: list[str] = []
    if aiortc.__version__ != SUPPORTED_AIORTC:
        problems.append(f"aiortc {aiortc.__version__} installed, forwarding written for {SUPPORTED_AIORTC}")
    params = list(inspect.signature(_stock_decoder_worker).parameters)
    if params != ["loop", "input_q", "output_q", "decode_error"]:
        problems.append(f"decoder_worker signature is {params}")
    if "decoder_worker" not in RTCRtpReceiver.receive.__code__.co_names:
        problems.append("RTCRtpReceiver.receive no longer looks up decoder_worker by global name")
    for cls, name in (
        (RTCRtpSender, "_send_keyframe"),
        (RTCRtpSender, "_handle_rtcp_packet"),
        (RTCRtpReceiver, "_send_rtcp_pli"),
        (RTCRtpReceiver, "_handle_rtp_packet"),
    ):
        if not callable(getattr(cls, name, None)):
            problems.append(f"{cls.__name__}.{name} is missing")
    if "add" not in RTCRtpReceiver._handle_rtp_packet.__code__.co_names:
        problems.append("RTCRtpReceiver._handle_rtp_packet no longer feeds a jitter buffer via add()")
    if "_send_keyframe" not in RTCRtpSender._handle_rtcp_packet.__code__.co_names:
        problems.append("RTCRtpSender._handle_rtcp_packet no longer calls _send_keyframe on PLI")
    # Instance attributes are only visible in the constructors' source (building a sender needs
    # a running event loop, and this check must work anywhere).
    receiver_init = inspect.getsource(RTCRtpReceiver.__init__)
    sender_init = inspect.getsource(RTCRtpSender.__init__)
    for needle, where, what in (
        ("self.__rtx_ssrc: dict[int, int]", receiver_init, "RTCRtpReceiver.__rtx_ssrc (rtx -> media ssrc)"),
        ("self._track", receiver_init, "RTCRtpReceiver._track"),
        ("self.__jitter_buffer = JitterBuffer(", receiver_init, "RTCRtpReceiver.__jitter_buffer"),
        ("self.__rtt", sender_init, "RTCRtpSender.__rtt"),
        ("self._ssrc", sender_init, "RTCRtpSender._ssrc"),
        ("self._queue", inspect.getsource(RemoteStreamTrack.__init__), "RemoteStreamTrack._queue"),
        ("self._codecs", inspect.getsource(aiortc.RTCRtpTransceiver.__init__), "RTCRtpTransceiver._codecs"),
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


class SlotTrack(MediaStreamTrack):
    """A re-pointable, bounded relay feeding one outgoing sender with encoded frames.

    The room points it at a publisher with :meth:`switch`; switching clears the queue, rebases
    RTP timestamps so they keep increasing across publishers (one outgoing SSRC, several sources),
    and for video waits for a keyframe and asks for one. Overflow policy: video drops everything
    until the next keyframe (a partial VP8 chain only produces garbage), audio drops the oldest.
    """

    def __init__(
        self,
        kind: str,
        *,
        on_keyframe_needed: Callable[[], None] | None = None,
        capacity: int | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.capacity = capacity or (VIDEO_QUEUE_FRAMES if kind == "video" else AUDIO_QUEUE_FRAMES)
        self.on_keyframe_needed = on_keyframe_needed
        self.source: object | None = None
        self.dropped = 0
        self.forwarded = 0
        self.last_forwarded = 0.0  # monotonic time a frame last left towards the sender
        self._queue: collections.deque[OutPacket] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._need_keyframe = kind == "video"
        self._offset = 0
        self._rebase = True
        self._last_ts: int | None = None
        self._last_wall = 0.0

    def switch(self, source: object | None) -> None:
        """Point the slot at another publisher (``None`` idles it). Idempotent."""
        if source is self.source:
            return
        self.source = source
        self._queue.clear()
        self._rebase = True
        if self.kind == "video":
            self._need_keyframe = True
            if source is not None and self.on_keyframe_needed:
                self.on_keyframe_needed()

    def push(self, frame: EncodedFrame) -> None:
        if self.readyState != "live":
            return
        if self._need_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                return
            self._need_keyframe = False
        if len(self._queue) >= self.capacity:
            if self.kind == "video":
                # The subscriber fell a full queue behind: resynchronise on a fresh keyframe.
                self.dropped += len(self._queue)
                self._queue.clear()
                if not frame.keyframe:
                    self._need_keyframe = True
                    self.dropped += 1
                    if self.on_keyframe_needed:
                        self.on_keyframe_needed()
                    return
            else:
                self._queue.popleft()
                self.dropped += 1
        clock = frame.codec.clockRate
        if self._rebase:
            now = time.monotonic()
            if self._last_ts is None:
                self._offset = -frame.timestamp
            else:
                # Continue the outgoing timeline by the wall-clock gap so the subscriber's jitter
                # estimate is not disturbed by the change of publisher.
                gap = max(1, int((now - self._last_wall) * clock))
                self._offset = self._last_ts + gap - frame.timestamp
            self._rebase = False
        pts = frame.timestamp + self._offset
        self._last_ts = pts
        self._last_wall = time.monotonic()
        self._queue.append(OutPacket(frame.data, pts, _time_base(clock), frame.keyframe))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> Any:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        self.forwarded += 1
        self.last_forwarded = time.monotonic()
        return self._queue.popleft()

    def stop(self) -> None:
        super().stop()
        self._queue.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


_TIME_BASES: dict[int, fractions.Fraction] = {}


def _time_base(clock_rate: int) -> fractions.Fraction:
    tb = _TIME_BASES.get(clock_rate)
    if tb is None:
        tb = _TIME_BASES[clock_rate] = fractions.Fraction(1, clock_rate)
    return tb


def _log_task_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("media background task failed", exc_info=task.exception())
