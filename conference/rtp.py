"""RTP as an SFU rewrites it: one publisher packet, read once, written out per receiver.

Pure byte work, no aiortc state, so it can be tested packet by packet:

* :class:`InPacket` reads what forwarding needs from a publisher's packet once (VP8 payload
  descriptor fields, whether it starts a keyframe, the send-time and audio-level extension bytes),
  however many receivers it goes to.
* :class:`Rewrite` is one receiver's outgoing stream: its own SSRC, payload type and header
  extension ids, and the offsets that map the publisher's sequence numbers, timestamps and VP8
  picture ids onto the receiver's, so they stay continuous when the stream is re-pointed at another
  publisher (RFC 3550 §8.2: one SSRC, one continuous sequence). :meth:`Rewrite.packet` builds the
  receiver's RTP packet with one ``bytes.join``; :meth:`Rewrite.rtx` wraps it for a retransmission
  (RFC 4588).
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
        "tl0", "tl0_at", "abs_send_time", "audio_level", "ssrc", "ntp", "vp8_head", "vp8_tail",
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
        # What surrounds the numbers each receiver renumbers, cut once for all of them.
        if self.pid_bits:
            self.vp8_head = payload[: self.pid_at]
            after = self.pid_at + (2 if self.pid_bits == 15 else 1) + (1 if self.tl0_at else 0)
            self.vp8_tail = payload[after:]
        else:
            self.vp8_head = self.vp8_tail = b""

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
        "ids", "clock_rate", "_seq_offset", "_ts_offset", "_pid_offset", "_tl0_offset", "_first",
        "last_sequence", "last_timestamp", "last_pid", "last_tl0", "_last_wall", "_rtx_sequence",
        "_ext_with_level", "_ext_without_level", "_pad_with_level", "_pad_without_level", "bound",
    )

    def __init__(self, ids: StreamIds, clock_rate: int) -> None:
        self.ids = ids
        self.clock_rate = clock_rate
        self.bound = False
        self._seq_offset = self._ts_offset = self._pid_offset = self._tl0_offset = self._first = 0
        self.last_sequence = random.randint(0, 0xFFFF)
        self.last_timestamp = random.randint(0, 0xFFFFFFFF)
        self.last_pid = random.randint(0, 0x7FFF)
        self.last_tl0 = random.randint(0, 0xFF)
        self._last_wall: float | None = None
        self._rtx_sequence = random.randint(0, 0xFFFF)
        self._ext_with_level, self._pad_with_level = self._extension_layout(with_level=True)
        self._ext_without_level, self._pad_without_level = self._extension_layout(with_level=False)

    def _extension_layout(self, *, with_level: bool) -> tuple[tuple[bytes, bytes, bytes], bytes]:
        """The one-byte header extension block (RFC 8285 §4.2) as (head, send-time id, level id)
        plus padding, around the per-packet values."""
        ids = self.ids
        mid = ids.mid.encode()
        static = bytes(((ids.mid_id << 4) | (len(mid) - 1),)) + mid if ids.mid_id and 0 < len(mid) <= 16 else b""
        abs_id = bytes(((ids.abs_send_time_id << 4) | 2,)) if ids.abs_send_time_id else b""
        level_id = bytes((ids.audio_level_id << 4,)) if ids.audio_level_id and with_level else b""
        size = len(static) + (len(abs_id) and 4) + (len(level_id) and 2)
        if not size:
            return (b"", b"", b""), b""
        pad = b"\x00" * (-size % 4)
        head = _ONE_BYTE_PROFILE + struct.pack("!H", (size + len(pad)) // 4) + static
        return (head, abs_id, level_id), pad

    def bind(self, first: InPacket, now: float) -> None:
        gap = 1 if self._last_wall is None else max(1, int((now - self._last_wall) * self.clock_rate))
        self._seq_offset = (self.last_sequence + 1 - first.sequence) & 0xFFFF
        self._ts_offset = (self.last_timestamp + gap - first.timestamp) & 0xFFFFFFFF
        if first.pid_bits:
            mask = (1 << first.pid_bits) - 1
            self._pid_offset = (self.last_pid + 1 - first.pid) & mask
        if first.tl0_at:
            self._tl0_offset = (self.last_tl0 + 1 - first.tl0) & 0xFF
        self._first = first.sequence
        self.bound = True

    def unbind(self) -> None:
        self.bound = False

    def belongs(self, packet: InPacket) -> bool:
        """Whether the packet is part of the current run (not from before its first packet)."""
        return packet.sequence == self._first or newer(packet.sequence, self._first)

    def publisher_sequence(self, sequence: int) -> int | None:
        """The publisher's sequence number behind one we sent in this run (for a NACK)."""
        if not self.bound:
            return None
        original = (sequence - self._seq_offset) & 0xFFFF
        return original if original == self._first or newer(original, self._first) else None

    def packet(self, p: InPacket, now: float) -> bytes:
        """The receiver's copy of ``p``; advances the stream's last numbers."""
        sequence = (p.sequence + self._seq_offset) & 0xFFFF
        timestamp = (p.timestamp + self._ts_offset) & 0xFFFFFFFF
        if newer(sequence, self.last_sequence):
            self.last_sequence = sequence
            self.last_timestamp = timestamp
            self._last_wall = now
        return self._build(p, sequence, timestamp, self.ids.payload_type, self.ids.ssrc, b"")

    def rtx(self, p: InPacket) -> bytes | None:
        """A retransmission of ``p`` as sent in this run: an RTX packet if RTX was negotiated,
        else the packet again (RFC 4588 §4)."""
        sequence = (p.sequence + self._seq_offset) & 0xFFFF
        timestamp = (p.timestamp + self._ts_offset) & 0xFFFFFFFF
        ids = self.ids
        if ids.rtx_payload_type is None:
            return self._build(p, sequence, timestamp, ids.payload_type, ids.ssrc, b"")
        rtx_sequence = self._rtx_sequence = (self._rtx_sequence + 1) & 0xFFFF
        return self._build(p, rtx_sequence, timestamp, ids.rtx_payload_type, ids.rtx_ssrc, _RTX_OSN.pack(sequence))

    def _build(self, p: InPacket, sequence: int, timestamp: int, pt: int, ssrc: int, osn: bytes) -> bytes:
        level = p.audio_level
        if level is not None and self.ids.audio_level_id:
            (head, abs_id, level_id), pad = self._ext_with_level, self._pad_with_level
        else:
            (head, abs_id, level_id), pad = self._ext_without_level, self._pad_without_level
            level = b""
        header = _HEADER.pack(0x90 if head else 0x80, (p.marker << 7) | pt, sequence, timestamp, ssrc)
        send_time = p.abs_send_time if abs_id else b""
        if not p.pid_bits:
            return b"".join((header, head, abs_id, send_time, level_id, level, pad, osn, p.payload))
        if p.pid_bits == 15:
            pid = (p.pid + self._pid_offset) & 0x7FFF
            if newer(pid << 1, self.last_pid << 1) or pid == self.last_pid:  # 15-bit serial compare
                self.last_pid = pid
            picture = _PID15.pack(0x8000 | pid)
        else:
            pid = self.last_pid = (p.pid + self._pid_offset) & 0x7F
            picture = _PID7.pack(pid)
        if p.tl0_at:
            tl0 = self.last_tl0 = (p.tl0 + self._tl0_offset) & 0xFF
            picture += _PID7.pack(tl0)
        return b"".join((header, head, abs_id, send_time, level_id, level, pad, osn, p.vp8_head, picture, p.vp8_tail))
