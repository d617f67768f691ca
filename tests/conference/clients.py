"""Real aiortc member peers for the media tests: each sends its own tone and its own colour.

Who hears whom is decided by FFT of what a client decodes; who sees whom by the mean Y/U/V of the
decoded pictures. Pictures are tiny (160x120 at 15 fps) so five peers fit on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from typing import Any

import av
import numpy as np
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack
from aiortc.rtp import RtcpRrPacket, RtpPacket

SAMPLE_RATE = 48000
AUDIO_PTIME = 0.02
WIDTH, HEIGHT, FPS = 160, 120, 15

# person id -> (tone Hz, (Y, U, V)); colours far apart in YUV so VP8 cannot blur them together.
MEMBERS: dict[int, tuple[int, tuple[int, int, int]]] = {
    1: (440, (80, 60, 200)),
    2: (700, (150, 200, 60)),
    3: (1000, (200, 80, 80)),
    4: (1300, (60, 200, 200)),
    5: (1700, (120, 128, 128)),
    6: (2100, (220, 40, 160)),
}


class ToneTrack(AudioStreamTrack):
    """20 ms frames of a sine at ``freq`` Hz, 48 kHz mono, in real time."""

    def __init__(self, freq: float, amplitude: float = 0.3) -> None:
        super().__init__()
        self.freq = freq
        self.amplitude = amplitude
        self._n = 0
        self._t0: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        samples = int(SAMPLE_RATE * AUDIO_PTIME)
        if self._t0 is None:
            self._t0 = time.monotonic()
        else:
            await asyncio.sleep(self._t0 + self._n / SAMPLE_RATE - time.monotonic())
        t = (np.arange(samples) + self._n) / SAMPLE_RATE
        pcm = (np.sin(2 * np.pi * self.freq * t) * self.amplitude * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._n
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._n += samples
        return frame


class ColourTrack(VideoStreamTrack):
    """Solid-colour yuv420p pictures at ``FPS``."""

    def __init__(self, yuv: tuple[int, int, int]) -> None:
        super().__init__()
        y, u, v = yuv
        self._planes = (
            bytes([y]) * (WIDTH * HEIGHT),
            bytes([u]) * (WIDTH * HEIGHT // 4),
            bytes([v]) * (WIDTH * HEIGHT // 4),
        )
        self._n = 0
        self._t0: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._t0 is None:
            self._t0 = time.monotonic()
        else:
            await asyncio.sleep(self._t0 + self._n / FPS - time.monotonic())
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for plane, data in zip(frame.planes, self._planes, strict=True):
            if plane.line_size == plane.width:
                plane.update(data)
            else:  # padded rows
                buf = np.frombuffer(data, np.uint8).reshape(plane.height, plane.width)
                padded = np.zeros((plane.height, plane.line_size), np.uint8)
                padded[:, : plane.width] = buf
                plane.update(padded.tobytes())
        frame.pts = int(self._n * 90000 / FPS)
        frame.time_base = fractions.Fraction(1, 90000)
        self._n += 1
        return frame


def identify_colour(yuv: tuple[float, float, float], tolerance: float = 25.0) -> int | None:
    best, best_d = None, tolerance
    for person, (_, colour) in MEMBERS.items():
        d = max(abs(a - b) for a, b in zip(yuv, colour, strict=True))
        if d < best_d:
            best, best_d = person, d
    return best


class Client:
    """One member's browser, played by aiortc: sends its tone/colour, receives the floor slots."""

    def __init__(self, person_id: int, *, video: bool = True, audio: bool = True, slots: int = 2,
                 report_timeout: float | None = None) -> None:
        self.person_id = person_id
        freq, colour = MEMBERS[person_id]
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.tone = ToneTrack(freq) if audio else None
        self.camera = ColourTrack(colour) if video else None
        self.audio_transceiver = self.pc.addTransceiver(self.tone or "audio", direction="sendonly")
        self.video_transceiver = (
            self.pc.addTransceiver(self.camera, direction="sendonly") if self.camera else None
        )
        for kind in ["audio"] * slots + ["video"] * slots:
            self.pc.addTransceiver(kind, direction="recvonly")
        self.audio: dict[str, deque[tuple[float, np.ndarray]]] = {}
        self.video: dict[str, deque[tuple[float, int | None]]] = {}
        self.first_video_at: dict[int, float] = {}  # person -> monotonic time of first picture
        self.pictures_of: dict[int, list[float]] = {}  # person -> monotonic time of every picture
        self._tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)
        self.report_timeout = report_timeout
        if report_timeout is not None:
            self._report_like_chrome()

    def _report_like_chrome(self) -> None:
        """Send RTCP receiver reports only about streams that delivered packets in the last
        ``report_timeout`` seconds, as libwebrtc does (8 s there); aiortc reports every stream it
        ever saw. So a stream that pauses (the floor moved away) gets no reports until it resumes.
        Setting ``report_timeout`` to 0 later stops all receiver reports."""
        for transceiver in self.pc.getTransceivers():
            receiver = transceiver.receiver
            last: dict[int, float] = {}
            handle_rtp, send_rtcp = receiver._handle_rtp_packet, receiver._send_rtcp

            async def noting(packet: RtpPacket, arrival_time_ms: int, _handle=handle_rtp, _last=last) -> None:
                _last[packet.ssrc] = time.monotonic()
                await _handle(packet, arrival_time_ms=arrival_time_ms)

            async def filtering(packet: Any, _send=send_rtcp, _last=last) -> None:
                if isinstance(packet, RtcpRrPacket):
                    now = time.monotonic()
                    timeout = self.report_timeout or 0.0
                    packet.reports = [r for r in packet.reports if now - _last.get(r.ssrc, -1e9) < timeout]
                    if not packet.reports:
                        return
                await _send(packet)

            receiver._handle_rtp_packet = noting
            receiver._send_rtcp = filtering

    async def offer(self) -> dict[str, str]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "type": self.pc.localDescription.type}

    async def accept(self, answer: dict[str, str]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        self._route_retransmissions(answer["sdp"])

    def _route_retransmissions(self, sdp: str) -> None:
        """Deliver each floor slot's retransmissions (RTX) to its receiver, as a browser does.

        aiortc 1.16 routes an incoming packet by its SSRC only if that is a media SSRC, else by
        payload type; with two bundled video m-lines sharing the RTX payload type it drops every
        retransmission. The answer's ``a=ssrc-group:FID media rtx`` says where each one belongs.
        """
        by_mid = {t.mid: t.receiver for t in self.pc.getTransceivers()}
        for media in aiortc_sdp.SessionDescription.parse(sdp).media:
            receiver = by_mid.get(media.rtp.muxId)
            if receiver is None:
                continue
            for group in media.ssrc_group:
                if group.semantic == "FID" and len(group.items) == 2:
                    receiver.transport._rtp_router.ssrc_table[int(group.items[1])] = receiver

    async def join(self, room: Any) -> None:
        offer = await self.offer()
        await self.accept(await room.handle_offer(self.person_id, offer["sdp"], offer["type"]))

    async def add_video(self, room: Any) -> None:
        """Turn the camera on later: renegotiate with a new sending video m-line."""
        freq, colour = MEMBERS[self.person_id]
        self.camera = ColourTrack(colour)
        self.video_transceiver = self.pc.addTransceiver(self.camera, direction="sendonly")
        await self.join(room)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        history_audio = self.audio.setdefault(track.id, deque(maxlen=100))
        history_video = self.video.setdefault(track.id, deque(maxlen=60))
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if track.kind == "audio":
                    pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                    history_audio.append((now, pcm.astype(np.float32)))
                else:
                    arr = frame.to_ndarray(format="yuv420p")
                    h = frame.height
                    yuv = (
                        float(arr[:h].mean()),
                        float(arr[h : h + h // 4].mean()),
                        float(arr[h + h // 4 :].mean()),
                    )
                    person = identify_colour(yuv)
                    history_video.append((now, person))
                    if person is not None:
                        self.pictures_of.setdefault(person, []).append(now)
                    if person is not None and person not in self.first_video_at:
                        self.first_video_at[person] = now
        except MediaStreamError:
            pass

    def heard(self, window: float = 0.6) -> set[int]:
        """Members whose tone is present in what this client received recently."""
        cutoff = time.monotonic() - window
        found: set[int] = set()
        for history in self.audio.values():
            chunks = [pcm for t, pcm in history if t >= cutoff]
            if not chunks:
                continue
            pcm = np.concatenate(chunks)
            if len(pcm) < SAMPLE_RATE // 10:
                continue
            spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
            freqs = np.fft.rfftfreq(len(pcm), 1 / SAMPLE_RATE)
            peak = float(spectrum.max())
            if peak < 20 * len(pcm):  # silence (a tone of amplitude 0.3 peaks near 2400 * len)
                continue
            for person, (freq, _) in MEMBERS.items():
                band = spectrum[(freqs > freq - 15) & (freqs < freq + 15)]
                # a tone counts when it is within 20 dB of the loudest one on this track
                if band.size and band.max() > 0.1 * peak:
                    found.add(person)
        return found

    def seen(self, window: float = 0.6) -> set[int]:
        cutoff = time.monotonic() - window
        return {p for h in self.video.values() for t, p in h if t >= cutoff and p is not None}

    def video_frames_since(self, since: float) -> int:
        return sum(1 for h in self.video.values() for t, _ in h if t >= since)

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
