"""conference/peer.py: a member's server-side peer, negotiated against a real aiortc client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import AudioStreamTrack

from conference.config import ice_configuration
from conference.errors import MediaError
from conference.peer import MemberPeer, Source
from conference.sdp import parse_offer


class Hooks:
    """What the room would be told, recorded."""

    def __init__(self) -> None:
        self.added: list[tuple[int, str]] = []
        self.ended: list[tuple[int, str]] = []
        self.failed: list[int] = []

    def source_added(self, peer: MemberPeer, source: Source) -> None:
        self.added.append((peer.person_id, source.kind))

    def source_ended(self, peer: MemberPeer, source: Source) -> None:
        self.ended.append((peer.person_id, source.kind))

    def receiver_report(self, peer: MemberPeer, fraction_lost: float, rtt: float | None) -> None:
        pass

    def audio_level(self, peer: MemberPeer, level_dbov: int) -> None:
        pass

    def peer_failed(self, peer: MemberPeer) -> None:
        self.failed.append(peer.person_id)


@pytest.fixture
async def client() -> AsyncIterator[RTCPeerConnection]:
    pc = RTCPeerConnection(configuration=ice_configuration())
    yield pc
    await pc.close()


async def offer_of(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


def answer_sections(sdp: str) -> list[aiortc_sdp.MediaDescription]:
    return aiortc_sdp.SessionDescription.parse(sdp).media


async def negotiated(peer: MemberPeer, sdp: str) -> str:
    return await peer.negotiate(parse_offer(sdp, "offer"), sdp)


async def test_it_answers_with_the_slots_the_room_asked_for(client: RTCPeerConnection) -> None:
    for kind in ("audio", "audio", "video", "video"):
        client.addTransceiver(kind, direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=1, video_slots=2)
    try:
        answer = await negotiated(peer, await offer_of(client))
        assert [(s.kind, s.mid) for s in peer.slots] == [("audio", "0"), ("video", "2"), ("video", "3")]
        directions = [(m.kind, m.direction) for m in answer_sections(answer)]
        assert directions == [
            ("audio", "sendonly"),
            ("audio", "inactive"),
            ("video", "sendonly"),
            ("video", "sendonly"),
        ]
    finally:
        await peer.close()


async def test_it_answers_only_the_forwarded_codecs(client: RTCPeerConnection) -> None:
    client.addTransceiver("audio", direction="recvonly")
    client.addTransceiver("video", direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=2, video_slots=2)
    try:
        answer = await negotiated(peer, await offer_of(client))
        audio, video = answer_sections(answer)
        assert {c.mimeType.lower() for c in audio.rtp.codecs} == {"audio/opus"}
        assert {c.mimeType.lower() for c in video.rtp.codecs} <= {"video/vp8", "video/rtx"}
        assert "video/vp8" in {c.mimeType.lower() for c in video.rtp.codecs}
    finally:
        await peer.close()


async def test_it_reports_what_the_member_publishes_and_ends_it_on_close(client: RTCPeerConnection) -> None:
    client.addTransceiver(AudioStreamTrack(), direction="sendonly")
    client.addTransceiver("video", direction="recvonly")
    hooks = Hooks()
    peer = MemberPeer(7, hooks, audio_slots=2, video_slots=2)
    await negotiated(peer, await offer_of(client))
    assert hooks.added == [(7, "audio")]
    assert set(peer.sources) == {"audio"}
    assert [s.kind for s in peer.slots] == ["video"]  # a sendonly m-line is a source, never a slot
    await peer.close()
    assert peer.closed and not peer.sources


async def test_it_keeps_its_slots_when_the_member_renegotiates(client: RTCPeerConnection) -> None:
    client.addTransceiver("audio", direction="recvonly")
    client.addTransceiver("video", direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=2, video_slots=2)
    try:
        first = await negotiated(peer, await offer_of(client))
        await client.setRemoteDescription(RTCSessionDescription(sdp=first, type="answer"))
        slots = list(peer.slots)
        client.addTransceiver("video", direction="recvonly")
        offer = await offer_of(client)
        await negotiated(peer, offer)
        assert peer.slots[:2] == slots
        assert [s.mid for s in peer.slots] == ["0", "1", "2"]
    finally:
        await peer.close()


async def test_it_refuses_an_offer_whose_codec_aiortc_cannot_use(client: RTCPeerConnection) -> None:
    client.addTransceiver("audio", direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=2, video_slots=2)
    try:
        sdp = await offer_of(client)
        # Opus by name (so sdp.py lets it through) but at a clock rate aiortc has no codec for.
        others = ("a=rtpmap:9 ", "a=rtpmap:0 ", "a=rtpmap:8 ")
        lines = [line for line in sdp.splitlines() if not line.startswith(others)]
        odd = "\r\n".join(lines).replace(" 96 9 0 8", " 96").replace("opus/48000/2", "opus/44100/2") + "\r\n"
        with pytest.raises(MediaError) as caught:
            await negotiated(peer, odd)
        assert caught.value.code == "negotiation_failed"
    finally:
        await peer.close()


async def test_it_refuses_an_offer_once_its_connection_is_closed(client: RTCPeerConnection) -> None:
    client.addTransceiver("audio", direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=2, video_slots=2)
    await peer.close()
    with pytest.raises(MediaError) as caught:
        await negotiated(peer, await offer_of(client))
    assert caught.value.code == "negotiation_failed"


async def test_it_connects_to_the_member_and_notes_its_answers(client: RTCPeerConnection) -> None:
    client.addTransceiver("audio", direction="recvonly")
    peer = MemberPeer(7, Hooks(), audio_slots=2, video_slots=2)
    try:
        answer = await negotiated(peer, await offer_of(client))
        connected = asyncio.Event()
        peer.pc.on("connectionstatechange", lambda: peer.connected and connected.set())
        await client.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(connected.wait(), 20)
        assert peer.last_answered is not None and peer.last_answered > peer.created
    finally:
        await peer.close()
