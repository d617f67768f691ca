"""Unit tests of the forwarding pieces (RTP rewriting packet by packet), plus the guard on aiortc
internals. The end-to-end behaviour with real peers is in test_floor.py, test_room.py and
test_lossy_link.py."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from conference import forwarding, rtp
from conference.forwarding import KeyframeRequester, PacketCache

pytestmark = pytest.mark.media

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)
EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri=rtp.MID_URI),
    RTCRtpHeaderExtensionParameters(id=3, uri=rtp.ABS_SEND_TIME_URI),
    RTCRtpHeaderExtensionParameters(id=5, uri=rtp.AUDIO_LEVEL_URI),
]


def vp8_payload(pid: int, *, start: bool, key: bool, tl0: int | None = None) -> bytes:
    """A VP8 RTP payload (RFC 7741): descriptor with a 15-bit PictureID (and TL0PICIDX), then the
    VP8 payload header's first byte (P bit 0: keyframe) and some data."""
    ext = 0x80 | (0x40 if tl0 is not None else 0)
    descriptor = bytes((0x90 if start else 0x80, ext, 0x80 | (pid >> 8), pid & 0xFF))
    if tl0 is not None:
        descriptor += bytes((tl0,))
    return descriptor + bytes((0x00 if key else 0x01,)) + b"\xaa\xbb"


def packet(seq: int, ts: int, payload: bytes, *, ssrc: int = 1111, vp8: bool = True, marker: int = 0,
           level: tuple[bool, int] | None = None) -> rtp.InPacket:
    return rtp.InPacket(sequence=seq, timestamp=ts, marker=marker, payload=payload, ssrc=ssrc, vp8=vp8,
                        ntp=rtp.ntp_now(), audio_level=level)


def stream(*, rtx: bool = True, with_extensions: bool = True) -> rtp.Rewrite:
    ids = rtp.StreamIds(ssrc=4242, payload_type=100, rtx_ssrc=4343, rtx_payload_type=101 if rtx else None, mid="3")
    if with_extensions:
        ids.mid_id, ids.abs_send_time_id, ids.audio_level_id = 1, 3, 5
    return rtp.Rewrite(ids, 90000)


def parse(data: bytes) -> RtpPacket:
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpParameters(headerExtensions=EXTENSIONS))
    return RtpPacket.parse(data, extensions)


def picture_id(payload: bytes) -> int:
    return ((payload[2] & 0x7F) << 8) | payload[3]


def test_it_passes_the_aiortc_internals_check() -> None:
    forwarding.check_aiortc_internals()


def test_it_detects_vp8_keyframes_from_the_payload_header() -> None:
    assert forwarding.is_keyframe(VP8, b"\x10\x02")
    assert not forwarding.is_keyframe(VP8, b"\x11\x02")
    assert not forwarding.is_keyframe(VP8, b"")
    assert forwarding.is_keyframe(OPUS, b"\x01")


def test_it_fails_the_internals_check_when_a_private_hook_disappears(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    monkeypatch.delattr(RTCRtpReceiver, "_send_rtcp_pli")
    with pytest.raises(forwarding.MediaInternalsChanged, match="_send_rtcp_pli"):
        forwarding.check_aiortc_internals()


def test_it_reads_where_a_receiver_may_join_from_the_vp8_descriptor() -> None:
    key = packet(1, 0, vp8_payload(300, start=True, key=True))
    assert key.keyframe_start and (key.pid, key.pid_bits, key.pid_at) == (300, 15, 2)
    assert not packet(2, 0, vp8_payload(300, start=False, key=True)).keyframe_start  # mid-frame
    assert not packet(3, 0, vp8_payload(301, start=True, key=False)).keyframe_start  # a delta frame
    with_tl0 = packet(4, 0, vp8_payload(302, start=True, key=True, tl0=9))
    assert with_tl0.keyframe_start and (with_tl0.tl0, with_tl0.tl0_at) == (9, 4)
    assert not packet(5, 0, b"").keyframe_start
    assert packet(6, 0, b"\xfc\x00", vp8=False).keyframe_start  # audio: any packet


def test_it_writes_a_packet_that_aiortc_reads_back_with_the_receivers_numbers() -> None:
    out = stream()
    first = packet(5000, 123456, vp8_payload(7000, start=True, key=True), marker=1, level=(True, 33))
    out.bind(first, now=10.0)
    parsed = parse(out.packet(first, now=10.0))
    assert (parsed.ssrc, parsed.payload_type, parsed.marker) == (4242, 100, 1)
    assert parsed.sequence_number == out.last_sequence and parsed.timestamp == out.last_timestamp
    assert parsed.extensions.mid == "3"
    assert parsed.extensions.audio_level == (True, 33)
    assert parsed.extensions.abs_send_time == int.from_bytes(first.abs_send_time, "big")
    assert parsed.payload[4:] == first.payload[4:]  # only the picture id is renumbered


def test_it_sends_no_extension_block_when_none_was_negotiated() -> None:
    out = stream(with_extensions=False)
    p = packet(1, 0, b"\xfc\x00", vp8=False)
    out.bind(p, now=0.0)
    data = out.packet(p, now=0.0)
    assert data[0] == 0x80 and len(data) == 12 + 2 and parse(data).payload == b"\xfc\x00"


def test_it_sets_the_extension_bit_per_packet_when_only_the_audio_level_was_negotiated() -> None:
    ids = rtp.StreamIds(ssrc=4242, payload_type=111, audio_level_id=5)
    out = rtp.Rewrite(ids, 48000)
    loud, unknown = packet(1, 0, b"\xfc", vp8=False, level=(True, 12)), packet(2, 960, b"\xfc", vp8=False)
    out.bind(loud, now=0.0)
    with_level, without = out.packet(loud, now=0.0), out.packet(unknown, now=0.0)
    assert parse(with_level).extensions.audio_level == (True, 12) and with_level[0] == 0x90
    assert without[0] == 0x80 and len(without) == 12 + 1  # no extension block at all


def test_it_keeps_numbers_continuous_across_publishers() -> None:
    out = stream()
    a = [packet(100 + i, 9000 * i, vp8_payload(50 + i, start=True, key=i == 0), ssrc=1) for i in range(3)]
    b = [packet(60000 + i, 777 + 3000 * i, vp8_payload(20000 + i, start=True, key=i == 0), ssrc=2) for i in range(3)]
    out.bind(a[0], now=1.0)
    sent = [parse(out.packet(p, now=1.0 + i * 0.033)) for i, p in enumerate(a)]
    out.bind(b[0], now=2.0)  # the floor moved a second later
    sent += [parse(out.packet(p, now=2.0 + i * 0.033)) for i, p in enumerate(b)]
    seqs = [s.sequence_number for s in sent]
    assert all((later - earlier) & 0xFFFF == 1 for earlier, later in zip(seqs, seqs[1:], strict=False))
    pids = [picture_id(s.payload) for s in sent]
    assert all((later - earlier) & 0x7FFF == 1 for earlier, later in zip(pids, pids[1:], strict=False))
    jump = (sent[3].timestamp - sent[2].timestamp) & 0xFFFFFFFF
    assert 0.9 * 90000 < jump < 1.1 * 90000  # the timeline runs on by the wall-clock gap
    assert {s.ssrc for s in sent} == {4242}


def test_it_passes_gaps_on_and_drops_packets_from_before_the_run() -> None:
    out = stream()
    first = packet(10, 0, vp8_payload(1, start=True, key=True))
    out.bind(first, now=0.0)
    assert out.belongs(packet(12, 0, b"\x80"))
    assert not out.belongs(packet(9, 0, b"\x80"))  # reordered from before the join: never sent
    base = parse(out.packet(first, now=0.0)).sequence_number
    assert (parse(out.packet(packet(13, 0, b"\x80\x80\x80\x01"), now=0.0)).sequence_number - base) & 0xFFFF == 3
    assert out.publisher_sequence((base + 2) & 0xFFFF) == 12
    assert out.publisher_sequence((base - 1) & 0xFFFF) is None


def test_it_wraps_a_retransmission_in_rtx_with_the_original_sequence_number() -> None:
    out = stream(rtx=True)
    p = packet(65535, 42, vp8_payload(9, start=True, key=True))
    out.bind(p, now=0.0)
    original = parse(out.packet(p, now=0.0))
    rtx = parse(out.rtx(p))
    assert (rtx.ssrc, rtx.payload_type) == (4343, 101)
    unwrapped = unwrap_rtx(rtx, payload_type=100, ssrc=4242)
    assert unwrapped.sequence_number == original.sequence_number
    assert unwrapped.payload == original.payload and unwrapped.timestamp == original.timestamp
    plain = stream(rtx=False)
    plain.bind(p, now=0.0)
    again = plain.packet(p, now=0.0)
    assert plain.rtx(p) == again  # without RTX the packet itself is sent again


def test_it_keeps_a_window_of_each_publishers_packets() -> None:
    cache = PacketCache()
    for seq in range(65000, 65000 + forwarding.CACHE_PACKETS + 10):
        cache.put(packet(seq & 0xFFFF, 0, b"\x80"))
    assert cache.get(65000) is None  # overwritten by a newer one in the same place
    newest = (65000 + forwarding.CACHE_PACKETS + 9) & 0xFFFF
    assert cache.get(newest) is not None and cache.get(newest).sequence == newest


class _Receiver:
    """Stands in for RTCRtpReceiver in the rate-limit test (only the two methods used)."""

    def __init__(self) -> None:
        self.plis: list[int] = []
        self._RTCRtpReceiver__rtx_ssrc = {2222: 1111}

    def getSynchronizationSources(self) -> list[Any]:
        now = datetime.datetime.now(datetime.UTC)

        class S:
            def __init__(self, source: int, ts: datetime.datetime) -> None:
                self.source, self.timestamp = source, ts

        # the RTX ssrc is the most recent one, as with Chrome's padding: it must not be chosen
        return [S(1111, now - datetime.timedelta(seconds=1)), S(2222, now)]

    async def _send_rtcp_pli(self, media_ssrc: int) -> None:
        self.plis.append(media_ssrc)


async def test_it_rate_limits_keyframe_requests_and_uses_the_media_ssrc() -> None:
    receiver = _Receiver()
    requester = KeyframeRequester(receiver, min_interval=0.3)  # type: ignore[arg-type]
    for _ in range(10):
        requester.request()
    await asyncio.sleep(0.05)
    assert receiver.plis == [1111]
    await asyncio.sleep(0.35)  # the coalesced request is served once the interval is over
    assert receiver.plis == [1111, 1111]
    requester.close()


def test_its_lean_srtp_protect_writes_what_pylibsrtp_writes() -> None:
    import os

    import pylibsrtp

    key = os.urandom(30)

    def session() -> pylibsrtp.Session:
        return pylibsrtp.Session(policy=pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))

    stock, lean = session(), forwarding.Protector(session())
    out = stream()
    for seq in range(3):
        p = packet(seq, seq * 3000, vp8_payload(seq, start=True, key=seq == 0))
        if seq == 0:
            out.bind(p, now=0.0)
        data = out.packet(p, now=0.0)
        assert lean.protect(data) == stock.protect(data)
    with pytest.raises(pylibsrtp.Error):
        lean.protect(b"\x80" * 1500)  # no room for the authentication tag


def test_it_sends_on_the_socket_under_an_asyncio_datagram_transport_only() -> None:
    import socket

    loop = asyncio.new_event_loop()
    try:
        udp, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
        )
        reader = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        reader.bind(("127.0.0.1", 0))
        reader.settimeout(5)
        sendto = forwarding.raw_sendto(udp)
        assert sendto is not None
        sendto(memoryview(b"\x80\x60datagram"), reader.getsockname())  # a slice of the SRTP buffer, in use
        assert reader.recv(100) == b"\x80\x60datagram"
        assert forwarding.raw_sendto(object()) is None  # anything else: the stream sends through it
        udp.close()
        reader.close()
    finally:
        loop.close()


class _QuietSource:
    """Stands in for peer.Source: what QuietAudio reads and tells."""

    def __init__(self, ssrc: int) -> None:
        from aiortc.rtcrtpreceiver import StreamStatistics

        self.ssrc, self.streams, self.decoded = ssrc, set(), None
        self.statistics = StreamStatistics(48000)
        self.arrived: list[int | None] = []

    def audio_arrived(self, now: float, level: int | None) -> None:
        self.arrived.append(level)


def test_quiet_audio_authenticates_one_packet_in_eight_and_counts_the_rest_from_the_clear_header() -> None:
    import os
    import types

    import pylibsrtp

    key = os.urandom(30)
    tx = pylibsrtp.Session(policy=pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    rx = pylibsrtp.Session(policy=pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    ids = rtp.StreamIds(ssrc=7777, payload_type=111, mid="0", mid_id=1, audio_level_id=5)
    out = rtp.Rewrite(ids, 48000)
    receiver = types.SimpleNamespace(_enabled=True, transport=types.SimpleNamespace(_rx_srtp=rx))
    source = _QuietSource(7777)
    quiet = forwarding.QuietAudio(receiver, source)  # type: ignore[arg-type]
    quiet._level_id = 5
    quiet._unchecked = forwarding.QUIET_AUTHENTICATE_EVERY  # as attach() leaves it
    sent = []
    for i in range(24):
        p = packet(1000 + i, 960 * i, b"\xfc" + bytes(40), vp8=False, level=(False, i))
        if i == 0:
            out.bind(p, now=0.0)
        sent.append(tx.protect(out.packet(p, now=0.0)))
    assert all(quiet(data) for data in sent)
    assert source.statistics.packets_received == 24  # every packet reaches the receiver report
    assert source.arrived == [0, 8, 16]  # only authentic packets count as arriving audio, with their level

    forged = bytearray(tx.protect(out.packet(packet(1024, 960 * 24, b"\xfc" + bytes(40), vp8=False), now=0.0)))
    forged[-1] ^= 0xFF  # a broken authentication tag, where the next check falls
    assert quiet(bytes(forged)) and source.statistics.packets_received == 24 and source.arrived == [0, 8, 16]
    assert quiet(tx.protect(out.packet(packet(1025, 960 * 25, b"\xfc", vp8=False), now=0.0)))
    assert source.statistics.packets_received == 25 and source.arrived == [0, 8, 16, None]

    far = rtp.InPacket(sequence=1024 + 5000, timestamp=0, marker=0, payload=b"\xfc", ssrc=1111, vp8=False, ntp=0)
    data = bytearray(tx.protect(out.packet(far, now=0.0)))
    data[-1] ^= 0xFF
    quiet._unchecked = 0
    assert quiet(bytes(data)) and source.statistics.packets_received == 25  # far ahead: checked, and refused
