"""A public WebRTC viewer played by a real aiortc peer: a recvonly offer POSTed to the endpoint,
decoded audio and video recorded against the wall clock for signal checks."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Self

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from django.test import AsyncClient

from tests.livestream.signal import tone_amplitude


class Viewer:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.audio: deque[tuple[float, np.ndarray]] = deque(maxlen=3000)  # (wall time received, mono pcm)
        self.video: deque[tuple[float, tuple[float, float, float], str]] = deque(maxlen=600)  # (t, mean RGB, codec)
        self._tasks: list[asyncio.Task[None]] = []
        self.ended: set[str] = set()
        self.pc.on("track", lambda track: self._tasks.append(asyncio.ensure_future(self._consume(track))))

    async def offer(self) -> dict[str, str]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "type": "offer"}

    async def connect(self, meeting_id: int) -> Any:
        """POST the offer; on 200 apply the answer. Returns the HTTP response."""
        response = await AsyncClient().post(f"/live/{meeting_id}/webrtc/offer", await self.offer(),
                                            content_type="application/json")
        if response.status_code == 200:
            answer = response.json()
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        return response

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                now = time.time()
                if track.kind == "audio":
                    pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                    self.audio.append((now, pcm.astype(np.float32) / 32768.0))
                else:
                    rgb = frame.to_ndarray(format="rgb24")
                    mean = (float(rgb[..., 0].mean()), float(rgb[..., 1].mean()), float(rgb[..., 2].mean()))
                    self.video.append((now, mean, frame.format.name))
        except MediaStreamError:
            self.ended.add(track.kind)

    def tone_since(self, since: float, freq: float, until: float | None = None) -> float:
        """Amplitude of `freq` in the audio received in [since, until)."""
        chunks = [pcm for t, pcm in self.audio if t >= since and (until is None or t < until)]
        return tone_amplitude(np.concatenate(chunks), freq) if chunks else 0.0

    def windows(self, seconds: float = 0.06) -> list[tuple[float, np.ndarray]]:
        """Received audio cut into windows of `seconds`, stamped with the receipt time of their last frame."""
        out, bucket, length = [], [], 0
        for t, pcm in self.audio:
            bucket.append(pcm)
            length += len(pcm)
            if length >= 48000 * seconds:
                out.append((t, np.concatenate(bucket)))
                bucket, length = [], 0
        return out

    def pictures_since(self, since: float) -> list[tuple[float, float, float]]:
        return [rgb for t, rgb, _ in self.video if t >= since]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
