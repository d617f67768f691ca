"""conference/sdp.py: offers are refused up front, with stable codes, before aiortc sees them."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection

from conference.errors import MediaError
from conference.sdp import MAX_MEDIA_SECTIONS, MAX_SDP_BYTES, parse_description, parse_offer, session_identity


async def real_offer(*kinds: str) -> str:
    """An offer from a real aiortc client with one recvonly m-line per kind."""
    pc = RTCPeerConnection()
    try:
        for kind in kinds:
            pc.addTransceiver(kind, direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


async def test_it_accepts_a_real_aiortc_offer() -> None:
    description = parse_offer(await real_offer("audio", "video", "audio", "video"), "offer")
    assert [m.kind for m in description.media] == ["audio", "video", "audio", "video"]
    assert description.type == "offer"


@pytest.mark.parametrize(
    ("sdp", "code"),
    [
        (None, "bad_sdp"),
        ("", "bad_sdp"),
        ("   ", "bad_sdp"),
        (42, "bad_sdp"),
        ("hello world", "bad_sdp"),
        ("v=0\r\n" + "a=x\r\n" * (MAX_SDP_BYTES // 5), "sdp_too_large"),
    ],
)
def test_it_refuses_garbage_and_oversize_descriptions(sdp: object, code: str) -> None:
    with pytest.raises(MediaError) as caught:
        parse_description(sdp)
    assert caught.value.code == code


def test_it_refuses_an_sdp_larger_than_the_given_limit() -> None:
    with pytest.raises(MediaError) as caught:
        parse_description("v=0\r\n" + "x" * 100, max_bytes=50)
    assert caught.value.code == "sdp_too_large"


async def test_it_only_answers_offers() -> None:
    sdp = await real_offer("audio")
    with pytest.raises(MediaError) as caught:
        parse_offer(sdp, "answer")
    assert caught.value.code == "bad_sdp_type"


async def test_it_refuses_an_offer_without_media() -> None:
    sdp = await real_offer("audio")
    session = sdp.split("m=")[0]
    with pytest.raises(MediaError) as caught:
        parse_offer(session, "offer")
    assert caught.value.code == "no_media"


async def test_it_refuses_too_many_media_sections() -> None:
    sdp = await real_offer(*["audio"] * (MAX_MEDIA_SECTIONS + 1))
    with pytest.raises(MediaError) as caught:
        parse_offer(sdp, "offer")
    assert caught.value.code == "too_many_media"


async def test_it_refuses_an_offer_without_the_forwarded_codec() -> None:
    sdp = await real_offer("video")
    lines = [line for line in sdp.splitlines() if "VP8" not in line]
    with pytest.raises(MediaError) as caught:
        parse_offer("\r\n".join(lines) + "\r\n", "offer")
    assert caught.value.code == "unsupported_codec"


async def test_it_refuses_an_application_section() -> None:
    sdp = await real_offer("audio")
    head, media = sdp.split("m=audio", 1)
    data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:9\r\n"
    with pytest.raises(MediaError) as caught:
        parse_offer(head + "m=audio" + media + data, "offer")
    assert caught.value.code == "unsupported_media"


@pytest.mark.parametrize("dropped", ["a=mid:", "a=ice-ufrag:", "a=fingerprint:", "a=rtcp-mux", "a=recvonly"])
async def test_it_refuses_a_section_missing_a_required_line(dropped: str) -> None:
    sdp = await real_offer("audio")
    lines = [line for line in sdp.splitlines() if not line.startswith(dropped)]
    with pytest.raises(MediaError) as caught:
        parse_offer("\r\n".join(lines) + "\r\n", "offer")
    assert caught.value.code == "bad_sdp"


async def test_session_identity_changes_with_ufrag_and_fingerprint() -> None:
    sdp = await real_offer("audio")
    same = session_identity(parse_offer(sdp, "offer"))
    assert same == session_identity(parse_offer(sdp, "offer"))
    ufrag = next(line for line in sdp.splitlines() if line.startswith("a=ice-ufrag:")).split(":", 1)[1]
    assert session_identity(parse_offer(sdp.replace(ufrag, "zzzz"), "offer")) != same
    other_browser = session_identity(parse_offer(await real_offer("audio"), "offer"))
    assert other_browser != same
    assert other_browser[1:] != same[1:]  # a new certificate: another fingerprint
