"""Unit tests of the forwarding pieces, plus the guard on aiortc internals."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from conference import forwarding
from conference.forwarding import EncodedFrame, KeyframeRequester, SlotTrack

pytestmark = pytest.mark.media

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


def video(ts: int, key: bool) -> EncodedFrame:
    # VP8 payload header: bit 0 of the first byte is 0 for a keyframe
    keyframe = forwarding.is_keyframe(VP8, bytes([0 if key else 1]))
    return EncodedFrame(VP8, bytes([0x00 if key else 0x01, 1, 2]), ts, keyframe, 0.0)


def audio(ts: int) -> EncodedFrame:
    return EncodedFrame(OPUS, b"\xfc\x00", ts, True, 0.0)


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


async def test_it_drops_video_until_the_next_keyframe_on_overflow() -> None:
    asked: list[int] = []
    slot = SlotTrack("video", capacity=3, on_keyframe_needed=lambda: asked.append(1))
    slot.switch(object())
    assert asked == [1]
    slot.push(video(0, key=False))  # waiting for a keyframe: dropped
    slot.push(video(3000, key=True))
    for i in range(2, 5):
        slot.push(video(i * 3000, key=False))  # the 4th frame overflows the queue of 3
    assert len(asked) == 2 and slot.dropped == 1 + 3 + 1
    slot.push(video(15000, key=False))  # still waiting
    slot.push(video(18000, key=True))
    first = await slot.recv()
    assert first.keyframe and bytes(first)[0] & 1 == 0


async def test_it_drops_the_oldest_audio_on_overflow() -> None:
    slot = SlotTrack("audio", capacity=3)
    slot.switch(object())
    for i in range(5):
        slot.push(audio(i * 960))
    pts = [(await slot.recv()).pts for _ in range(3)]
    assert pts == [2 * 960, 3 * 960, 4 * 960] and slot.dropped == 2


async def test_it_keeps_outgoing_timestamps_increasing_across_publishers() -> None:
    slot = SlotTrack("audio", capacity=10)
    slot.switch("a")
    slot.push(audio(900_000))
    slot.push(audio(900_960))
    out = [(await slot.recv()).pts for _ in range(2)]
    await asyncio.sleep(0.02)
    slot.switch("b")  # another publisher whose own clock is far behind
    slot.push(audio(480))
    out.append((await asyncio.wait_for(slot.recv(), 1)).pts)
    assert out[0] == 0 and out[1] == 960
    assert out[2] - out[1] >= 0.02 * 48000  # continues by the wall-clock gap


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
