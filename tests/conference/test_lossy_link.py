"""A lossy, reordering link on either side of the server: receivers recover without a frozen picture.

Between a publisher and the server, the server's receiver asks the publisher to resend (NACK) and
forwards the late packet when it comes; between the server and a member, the server answers the
member's NACKs from the publisher's packet cache.

The link loses first transmissions only, never a retransmission (RTX): the receivers here are
aiortc peers, which NACK a packet once and then wait for their jitter buffer to overflow (over 30 s
of video) before asking for a keyframe, where a browser would NACK again and soon ask for one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiortc.rtp import RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket, is_rtcp

from conference.room import MediaRoom
from tests.conference.clients import Client
from tests.conference.conftest import wait_for

pytestmark = pytest.mark.media

CHAIR, A, B = 1, 2, 3
WATCH = 6.0  # seconds of impaired media watched
DROP_EVERY = 13
SWAP_EVERY = 7


class Impairment:
    """Drops and reorders the RTP packets (never RTCP, STUN or DTLS, nor retransmissions) on one
    member's connection."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen = self.dropped = self.swapped = 0
        self._seen_of: dict[int, int] = {}
        self._held: Any = None

    def _is_retransmission(self, data: bytes) -> bool:
        payload_type = data[1] & 0x7F
        return any(
            c.payloadType == payload_type and c.mimeType.lower().endswith("/rtx")
            for t in self.client.pc.getTransceivers()
            for c in t._codecs
        )

    def route(self, data: bytes, deliver: Callable[[bytes], None]) -> None:
        if not data or not 127 < data[0] < 192 or is_rtcp(data) or self._is_retransmission(data):
            deliver(data)
            return
        self.seen += 1
        stream = self._seen_of[data[1] & 0x7F] = self._seen_of.get(data[1] & 0x7F, 0) + 1  # per payload type
        if stream % DROP_EVERY == 0:
            self.dropped += 1
            return
        if self._held is None and stream % SWAP_EVERY == 0:
            self._held = data
            asyncio.get_running_loop().call_later(0.05, self._flush, deliver)  # if nothing follows
            return
        deliver(data)
        self._flush(deliver)

    def _flush(self, deliver: Callable[[bytes], None]) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self.swapped += 1
            deliver(held)


def connection_of(client: Client) -> Any:
    """The client's one (bundled) aioice connection."""
    return client.pc.getTransceivers()[0].sender.transport.transport._connection


def impair_sending(client: Client) -> Impairment:
    impairment = Impairment(client)
    ice = client.pc.getTransceivers()[0].sender.transport.transport
    send = ice._send  # what RTCDtlsTransport sends through (aioice's Connection.send, bound once)

    async def impaired_send(data: bytes) -> None:
        impairment.route(data, lambda d: asyncio.ensure_future(send(d)))

    ice._send = impaired_send
    return impairment


def impair_receiving(client: Client) -> Impairment:
    impairment = Impairment(client)
    connection = connection_of(client)
    data_received = connection.data_received
    connection.data_received = lambda data, component: impairment.route(data, lambda d: data_received(d, component))
    return impairment


def feedback_to(client: Client) -> list[str]:
    """The video feedback (NACK, PLI) that reaches the client's camera sender."""
    got: list[str] = []
    assert client.video_transceiver is not None
    sender = client.video_transceiver.sender
    handle = sender._handle_rtcp_packet

    async def noting(packet: Any) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            got.append("nack")
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
            got.append("pli")
        await handle(packet)

    sender._handle_rtcp_packet = noting
    return got


def longest_freeze(client: Client, person: int, since: float) -> float:
    """The longest gap between two decoded pictures of ``person`` since ``since`` (to now)."""
    times = [t for t in client.pictures_of.get(person, []) if t >= since]
    edges = [since, *times, time.monotonic()]
    return max(b - a for a, b in zip(edges, edges[1:], strict=False))


async def watch(client: Client, person: int) -> float:
    since = time.monotonic()
    await asyncio.sleep(WATCH)
    return longest_freeze(client, person, since)


async def test_receivers_recover_from_loss_and_reordering_between_publisher_and_server(
    room: MediaRoom, clients
) -> None:
    chair, a, b = clients(CHAIR), clients(A), clients(B)
    impairment = impair_sending(a)
    feedback = feedback_to(a)
    await asyncio.gather(*(c.join(room) for c in (chair, a, b)))
    await room.set_floor({A}, {A})
    await wait_for(lambda: chair.seen() == {A} and b.seen() == {A})

    freeze = await watch(b, A)
    assert impairment.dropped > 10 and impairment.swapped > 10
    assert "nack" in feedback  # the server asked the publisher to resend what it lost
    assert freeze < 1.0, f"the picture froze for {freeze:.2f} s"
    assert b.heard() == {A} and longest_freeze(chair, A, time.monotonic() - WATCH) < 1.0


async def test_receivers_recover_from_loss_and_reordering_between_server_and_them(room: MediaRoom, clients) -> None:
    chair, a, b = clients(CHAIR), clients(A), clients(B)
    impairment = impair_receiving(b)
    await asyncio.gather(*(c.join(room) for c in (chair, a, b)))
    await room.set_floor({A}, {A})
    await wait_for(lambda: b.seen() == {A})

    freeze = await watch(b, A)
    streams = [s.stream for s in room.peers[B].slots]
    assert impairment.dropped > 10 and impairment.swapped > 10
    assert sum(s.retransmitted for s in streams) > 0  # B's NACKs answered from A's packet cache
    assert freeze < 1.0, f"the picture froze for {freeze:.2f} s"
    assert b.heard() == {A}
