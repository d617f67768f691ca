"""RTP as an SFU rewrites it: one publisher packet, read once, written out per receiver.

Pure byte work, no aiortc state, so it can be tested packet by packet:

* :class:`InPacket` reads what forwarding needs from a publisher's packet once (VP8 payload
  descriptor fields, whether it starts a keyframe, the send-time and audio-level extension bytes),
  however many receivers it goes to.
* :class:`Rewrite` is one receiver's outgoing stream: its own SSRC, payload type and header
  extension ids, and the offsets that map the publisher's sequence numbers, timestamps and VP8
  picture ids onto the receiver's, so they stay continuous when the stream is re-pointed at another
  publisher (RFC 3550 §8.2: one SSRC, one continuous sequence). :meth:`Rewrite.write` writes the
  receiver's RTP packet straight into the buffer SRTP then encrypts in place (one ``struct`` pack,
  one payload copy); :meth:`Rewrite.rtx` wraps it for a retransmission (RFC 4588).
"""

from __future__ import annotations

import random
import struct
import time
from dataclasses import dataclass

_HEADER = struct.Struct("!BBHII")
_RTX_OSN = struct.Struct("!H")
_PID15 = struct.Struct("!H")  # M bit and a 15-bit PictureID
_PID7 = struct.Struct("!B")
_ONE_BYTE_PROFILE = b"\xbe\xde"
_MAX_HEADER = 64  # more than the fixed header, the largest extension block we write and an RTX OSN
_NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def ntp_now() -> int:
    """The current time as a 64-bit NTP timestamp (what RTCP sender reports carry)."""
    return int((time.time() + _NTP_EPOCH) * (1 << 32))


def audio_level(packet: bytes, extension_id: int) -> int | None:
    """The ssrc-audio-level value (RFC 6464: 0 loudest .. 127 silent) of a raw RTP packet whose
    header is readable (SRTP leaves it in clear), or None. One-byte header extensions only."""
    if not extension_id or len(packet) < 12 or not packet[0] & 0x10:
        return None
    at = 12 + 4 * (packet[0] & 0x0F)
    if len(packet) < at + 4 or packet[at : at + 2] != _ONE_BYTE_PROFILE:
        return None
    end = at + 4 + 4 * ((packet[at + 2] << 8) | packet[at + 3])
    at += 4
    end = min(end, len(packet))
    while at < end:
        element = packet[at]
        if element == 0:  # padding
            at += 1
            continue
        ident, size = element >> 4, (element & 0x0F) + 1
        if ident == 15:
            return None
        if ident == extension_id and at + 1 < end:
            return packet[at + 1] & 0x7F
        at += 1 + size
    return None


def newer(a: int, b: int) -> bool:
    """Whether 16-bit sequence number ``a`` comes after ``b`` (RFC 1982 serial arithmetic)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


class InPacket:
    """A publisher's RTP packet (after SRTP and RTX unwrapping), read once for every receiver.

    VP8 (RFC 7741 §4.2): ``pid_at``/``pid_bits`` locate the PictureID, ``tl0_at`` the TL0PICIDX,
    so each receiver's copy can renumber them; ``keyframe_start`` is the first packet of a
    keyframe (S=1, partition 0, P bit of the VP8 payload header 0), where a receiver may join.
    """

    __slots__ = (
        "sequence", "timestamp", "marker", "payload", "keyframe_start", "pid", "pid_at", "pid_bits",
        "tl0", "tl0_at", "abs_send_time", "audio_level", "ssrc", "ntp",
    )

    def __init__(
        self,
        *,
        sequence: int,
        timestamp: int,
        marker: int,
        payload: bytes,
        ssrc: int,
        vp8: bool,
        ntp: int,
        audio_level: tuple[bool, int] | None = None,
    ) -> None:
        self.sequence = sequence
        self.timestamp = timestamp
        self.marker = marker
        self.payload = payload
        self.ssrc = ssrc
        self.ntp = ntp  # when it arrived, as the 64-bit NTP time of RTCP sender reports
        self.abs_send_time = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
        self.audio_level = (
            None if audio_level is None else bytes(((0x80 if audio_level[0] else 0) | (audio_level[1] & 0x7F),))
        )
        self.pid = self.pid_at = self.pid_bits = self.tl0 = self.tl0_at = 0
        self.keyframe_start = not vp8
        if vp8:
            self._read_vp8_descriptor(payload)

    def _read_vp8_descriptor(self, p: bytes) -> None:
        if not p:
            return
        at = 1
        if p[0] & 0x80 and len(p) > 1:  # X: extension byte follows
            ext = p[1]
            at = 2
            if ext & 0x80 and len(p) > at:  # I: PictureID
                if p[at] & 0x80 and len(p) > at + 1:  # M: 15 bits
                    self.pid, self.pid_at, self.pid_bits = ((p[at] & 0x7F) << 8) | p[at + 1], at, 15
                    at += 2
                else:
                    self.pid, self.pid_at, self.pid_bits = p[at] & 0x7F, at, 7
                    at += 1
            if ext & 0x40 and len(p) > at:  # L: TL0PICIDX
                self.tl0, self.tl0_at = p[at], at
                at += 1
            if ext & 0x30:  # T or K: one more byte
                at += 1
        starts_partition_0 = (p[0] & 0x17) == 0x10  # S=1, PID=0
        self.keyframe_start = starts_partition_0 and len(p) > at and (p[at] & 0x01) == 0


@dataclass(slots=True)
class StreamIds:
    """What a receiver's stream was negotiated with (its answer's m-line)."""

    ssrc: int
    payload_type: int
    rtx_ssrc: int = 0
    rtx_payload_type: int | None = None
    mid: str = ""
    mid_id: int = 0
    abs_send_time_id: int = 0
    audio_level_id: int = 0


class Rewrite:
    """One receiver's outgoing RTP stream, fed by whichever publisher it is pointed at.

    :meth:`bind` starts a run from a new publisher at packet ``first`` (for video a keyframe's
    first packet): the publisher's numbers are offset so that the receiver sees the next sequence
    number, a timestamp advanced by the wall-clock gap, and the next PictureID. Within a run,
    gaps and reordering are passed on as they are, so the receiver's NACKs name packets that
    :meth:`publisher_sequence` maps back to the publisher's cache.
    """

    __slots__ = (
        "ids", "clock_rate", "_seq_offset", "_ts_offset", "_pid_offset", "_tl0_offset", "first",  # first: of the run
        "last_sequence", "last_timestamp", "last_pid", "last_tl0", "_last_wall", "_rtx_sequence",
        "_with_level", "_without_level", "bound",
    )

    def __init__(self, ids: StreamIds, clock_rate: int) -> None:
        self.ids = ids
        self.clock_rate = clock_rate
        self.bound = False
        self._seq_offset = self._ts_offset = self._pid_offset = self._tl0_offset = self.first = 0
        self.last_sequence = random.randint(0, 0xFFFF)
        self.last_timestamp = random.randint(0, 0xFFFFFFFF)
        self.last_pid = random.randint(0, 0x7FFF)
        self.last_tl0 = random.randint(0, 0xFF)
        self._last_wall: float | None = None
        self._rtx_sequence = random.randint(0, 0xFFFF)
        self._with_level = self._layout(with_level=True)
        self._without_level = self._layout(with_level=False)

    def _layout(self, *, with_level: bool) -> tuple[struct.Struct, bytes, bytes, int]:
        """The RTP header with this stream's one-byte header extension block (RFC 8285 §4.2) as one
        ``struct`` to pack per packet: fixed header, then (constant) profile, length, mid element and
        send-time id, the 3-byte send time, the level element's id byte, its level byte, padding.
        Elements not negotiated are 0-byte fields (``struct`` packs nothing for them). Returns the
        struct, the constant head, the level element's id byte and the header's first byte (X set
        if there is an extension block)."""
        ids = self.ids
        mid = ids.mid.encode()
        static = bytes(((ids.mid_id << 4) | (len(mid) - 1),)) + mid if ids.mid_id and 0 < len(mid) <= 16 else b""
        abs_id = bytes(((ids.abs_send_time_id << 4) | 2,)) if ids.abs_send_time_id else b""
        level_id = bytes((ids.audio_level_id << 4,)) if ids.audio_level_id and with_level else b""
        size = len(static) + (len(abs_id) and 4) + (len(level_id) and 2)
        if not size:
            return struct.Struct("!BBHII0s0s0s0s"), b"", b"", 0x80
        pad = -size % 4
        head = _ONE_BYTE_PROFILE + struct.pack("!H", (size + pad) // 4) + static + abs_id
        send_time = 3 if abs_id else 0
        level = 1 if level_id else 0
        layout = struct.Struct(f"!BBHII{len(head)}s{send_time}s{len(level_id)}s{level}s{pad}x")
        return layout, head, level_id, 0x90

    def bind(self, first: InPacket, now: float) -> None:
        gap = 1 if self._last_wall is None else max(1, int((now - self._last_wall) * self.clock_rate))
        self._seq_offset = (self.last_sequence + 1 - first.sequence) & 0xFFFF
        self._ts_offset = (self.last_timestamp + gap - first.timestamp) & 0xFFFFFFFF
        if first.pid_bits:
            mask = (1 << first.pid_bits) - 1
            self._pid_offset = (self.last_pid + 1 - first.pid) & mask
        if first.tl0_at:
            self._tl0_offset = (self.last_tl0 + 1 - first.tl0) & 0xFF
        self.first = first.sequence
        self.bound = True

    def unbind(self) -> None:
        self.bound = False

    def belongs(self, packet: InPacket) -> bool:
        """Whether the packet is part of the current run (not from before its first packet)."""
        return ((packet.sequence - self.first) & 0xFFFF) < 0x8000

    def publisher_sequence(self, sequence: int) -> int | None:
        """The publisher's sequence number behind one we sent in this run (for a NACK)."""
        if not self.bound:
            return None
        original = (sequence - self._seq_offset) & 0xFFFF
        return original if original == self.first or newer(original, self.first) else None

    def write(self, p: InPacket, now: float, buffer: memoryview) -> int:
        """Write the receiver's copy of ``p`` at the start of ``buffer`` (one ``struct`` pack for the
        header, one copy of the payload, the VP8 numbers patched in place); return its size.
        Advances the stream's last numbers. ``ValueError`` if it does not fit."""
        sequence = (p.sequence + self._seq_offset) & 0xFFFF
        timestamp = (p.timestamp + self._ts_offset) & 0xFFFFFFFF
        if 0 < ((sequence - self.last_sequence) & 0xFFFF) < 0x8000:
            self.last_sequence = sequence
            self.last_timestamp = timestamp
            self._last_wall = now
        return self._write(buffer, p, sequence, timestamp, self.ids.payload_type, self.ids.ssrc, None)

    def packet(self, p: InPacket, now: float) -> bytes:
        """The receiver's copy of ``p`` as bytes (see :meth:`write`)."""
        buffer = bytearray(len(p.payload) + _MAX_HEADER)
        return bytes(buffer[: self.write(p, now, memoryview(buffer))])

    def rtx(self, p: InPacket) -> bytes | None:
        """A retransmission of ``p`` as sent in this run: an RTX packet if RTX was negotiated,
        else the packet again (RFC 4588 §4)."""
        sequence = (p.sequence + self._seq_offset) & 0xFFFF
        timestamp = (p.timestamp + self._ts_offset) & 0xFFFFFFFF
        ids = self.ids
        buffer = bytearray(len(p.payload) + _MAX_HEADER)
        if ids.rtx_payload_type is None:
            size = self._write(memoryview(buffer), p, sequence, timestamp, ids.payload_type, ids.ssrc, None)
        else:
            rtx_sequence = self._rtx_sequence = (self._rtx_sequence + 1) & 0xFFFF
            size = self._write(memoryview(buffer), p, rtx_sequence, timestamp, ids.rtx_payload_type, ids.rtx_ssrc,
                               sequence)
        return bytes(buffer[:size])

    def _write(self, buffer: memoryview, p: InPacket, sequence: int, timestamp: int, pt: int, ssrc: int,
               osn: int | None) -> int:
        level = p.audio_level
        if level is not None and self.ids.audio_level_id:
            layout, head, level_id, first_byte = self._with_level
        else:
            layout, head, level_id, first_byte = self._without_level
            level = b""
        at = layout.size
        payload = p.payload
        end = at + len(payload) + (0 if osn is None else 2)
        if end > len(buffer):
            raise ValueError("RTP packet too long for the buffer")
        layout.pack_into(buffer, 0, first_byte, (p.marker << 7) | pt, sequence, timestamp, ssrc,
                         head, p.abs_send_time, level_id, level)
        if osn is not None:
            _RTX_OSN.pack_into(buffer, at, osn)
            at += 2
        buffer[at:end] = payload
        bits = p.pid_bits
        if bits:
            if bits == 15:
                pid = (p.pid + self._pid_offset) & 0x7FFF
                if newer(pid << 1, self.last_pid << 1) or pid == self.last_pid:  # 15-bit serial compare
                    self.last_pid = pid
                _PID15.pack_into(buffer, at + p.pid_at, 0x8000 | pid)
            else:
                pid = self.last_pid = (p.pid + self._pid_offset) & 0x7F
                buffer[at + p.pid_at] = pid
            if p.tl0_at:
                tl0 = self.last_tl0 = (p.tl0 + self._tl0_offset) & 0xFF
                buffer[at + p.tl0_at] = tl0
        return end
