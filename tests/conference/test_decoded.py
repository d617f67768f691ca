"""conference/decoded.py: one decode per publisher, shared by every composer subscriber."""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np
import pytest
from aiortc import RTCRtpCodecParameters
from aiortc.codecs.opus import OpusEncoder
from aiortc.mediastreams import MediaStreamError

from conference.decoded import DecodeFanout
from conference.forwarding import EncodedFrame

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)


def opus_frames(count: int) -> list[EncodedFrame]:
    encoder = OpusEncoder()
    frames = []
    for n in range(count):
        pcm = (np.sin(np.arange(960) * 2 * np.pi * 440 / 48000 + n) * 8000).astype(np.int16)
        audio = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        audio.sample_rate = 48000
        audio.pts = n * 960
        audio.time_base = fractions.Fraction(1, 48000)
        payloads, timestamp = encoder.encode(audio)
        frames.append(EncodedFrame(OPUS, payloads[0], timestamp, True, time.monotonic()))
    return frames


def _vp8_key(data: bytes) -> bool:
    return not data[0] & 1  # RFC 6386 9.1: bit 0 of the frame tag is 0 on a key frame


def vp8_frames(count: int) -> list[EncodedFrame]:
    context = av.CodecContext.create("libvpx", "w")
    context.width, context.height, context.pix_fmt = 64, 48, "yuv420p"
    context.time_base = fractions.Fraction(1, 30)
    context.gop_size = 1000
    frames = []
    for n in range(count):
        picture = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 * n % 255, np.uint8), format="rgb24")
        picture = picture.reformat(format="yuv420p")
        picture.pts = n
        for packet in context.encode(picture):
            frames.append(EncodedFrame(VP8, bytes(packet), n * 3000, _vp8_key(bytes(packet)), time.monotonic()))
    for packet in context.encode(None):
        frames.append(EncodedFrame(VP8, bytes(packet), len(frames) * 3000, _vp8_key(bytes(packet)), time.monotonic()))
    return frames


async def test_it_decodes_each_frame_once_for_all_subscribers() -> None:
    fanout = DecodeFanout("audio", request_keyframe=lambda: None)
    first, second = fanout.subscribe(), fanout.subscribe()
    for frame in opus_frames(3):
        fanout.push(frame)
    for _ in range(3):
        a, b = await asyncio.wait_for(first.recv(), 5), await asyncio.wait_for(second.recv(), 5)
        assert isinstance(a, av.AudioFrame)
        assert a is b  # one decoded frame handed to both, not two decodes
    fanout.close()


async def test_it_decodes_nothing_while_nobody_subscribes() -> None:
    fanout = DecodeFanout("audio", request_keyframe=lambda: None)
    for frame in opus_frames(2):
        fanout.push(frame)
    track = fanout.subscribe()
    fresh = opus_frames(1)[0]
    fanout.push(fresh)
    decoded = await asyncio.wait_for(track.recv(), 5)
    assert isinstance(decoded, av.AudioFrame)
    assert track._queue.empty()  # the frames pushed before anyone subscribed were never decoded
    fanout.close()


async def test_it_asks_for_a_keyframe_and_waits_for_one_before_decoding_video() -> None:
    requests: list[int] = []
    fanout = DecodeFanout("video", request_keyframe=lambda: requests.append(1))
    key, *later = vp8_frames(4)
    rest = [f for f in later if not f.keyframe]
    assert key.keyframe and rest
    track = fanout.subscribe()
    assert requests == [1]
    fanout.push(rest[0])  # a delta frame before any keyframe is dropped
    assert not fanout._input
    fanout.push(key)
    for frame in rest:
        fanout.push(frame)
    picture = await asyncio.wait_for(track.recv(), 5)
    assert isinstance(picture, av.VideoFrame)
    assert (picture.width, picture.height) == (64, 48)
    fanout.close()


async def test_it_ends_every_subscribers_track_when_the_publisher_goes() -> None:
    fanout = DecodeFanout("audio", request_keyframe=lambda: None)
    tracks = [fanout.subscribe() for _ in range(3)]
    fanout.close()
    for track in tracks:
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(track.recv(), 5)
        assert track.readyState == "ended"


async def test_it_stops_decoding_when_the_last_subscriber_stops() -> None:
    fanout = DecodeFanout("audio", request_keyframe=lambda: None)
    first, second = fanout.subscribe(), fanout.subscribe()
    first.stop()
    assert fanout._task is not None
    second.stop()
    assert fanout._task is None
    fanout.push(opus_frames(1)[0])
    assert not fanout._input
    with pytest.raises(MediaStreamError):
        await first.recv()
