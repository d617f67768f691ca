"""The meeting's long-lived encoders: H.264 + AAC for HLS and the recording, Opus for WebRTC viewers.

One set per composer, alive as long as the composer: timestamps run on across segments, x264
keeps its rate control, and AAC is primed once (not once per segment). Each segment container
only copies the codec parameters (`add_to`) and muxes the packets these encoders produce.

The H.264 stream is Constrained Baseline with SPS/PPS repeated in-band at every IDR, so the very
same packets can be muxed into MPEG-TS and re-packetized for WebRTC (aiortc's H264 `pack`).
WebRTC cannot carry AAC, hence the Opus encoder, fed from the same gated mix.
"""

from __future__ import annotations

import fractions
import io
from typing import Any

import av
import numpy as np

SAMPLE_RATE = 48000
AUDIO_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class StreamEncoders:
    def __init__(self, *, width: int, height: int, fps: int, video_bitrate: int,
                 audio_bitrate: int = 96_000, opus_bitrate: int = 48_000) -> None:
        self.fps = fps
        self.video_time_base = fractions.Fraction(1, fps)
        # The encoders live in a container that is never written to: starting it opens them and
        # fills the codec parameters (AAC's AudioSpecificConfig) that segment streams copy.
        self._template = av.open(io.BytesIO(), mode="w", format="mpegts")
        video = self._template.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = video_bitrate
        # zerolatency: no B-frames, no lookahead, one packet out per frame in. A keyframe every
        # two seconds at most; the composer forces one at every segment start anyway.
        video.options = {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline",
                         "forced-idr": "1", "g": str(2 * fps), "keyint_min": str(fps)}
        video.codec_context.time_base = self.video_time_base
        audio = self._template.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = audio_bitrate
        audio.codec_context.time_base = AUDIO_TIME_BASE
        self._template.start_encoding()
        self.video, self.audio = video, audio
        self.opus = av.CodecContext.create("libopus", "w")
        self.opus.sample_rate = SAMPLE_RATE
        self.opus.layout = "mono"
        self.opus.format = "s16"
        self.opus.bit_rate = opus_bitrate
        self.opus.time_base = AUDIO_TIME_BASE

    def add_to(self, container: Any) -> tuple[Any, Any]:
        """Streams for one segment container, with the encoders' codec parameters."""
        return container.add_stream_from_template(self.video), container.add_stream_from_template(self.audio)

    def encode_video(self, frame: av.VideoFrame, *, pts: int, keyframe: bool) -> list[av.Packet]:
        frame.pts = pts
        frame.time_base = self.video_time_base
        frame.pict_type = av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        return list(self.video.encode(frame))

    def encode_aac(self, pcm: np.ndarray, *, pts: int) -> list[av.Packet]:
        return list(self.audio.encode(_audio_frame(pcm, pts)))

    def encode_opus(self, pcm: np.ndarray, *, pts: int) -> list[av.Packet]:
        return list(self.opus.encode(_audio_frame(pcm, pts)))

    def flush(self) -> tuple[list[av.Packet], list[av.Packet]]:
        return list(self.video.encode(None)), list(self.audio.encode(None))

    def close(self) -> None:
        try:
            self._template.close()
        except Exception:  # nothing was ever muxed into it; closing is best effort
            pass


def _audio_frame(pcm: np.ndarray, pts: int) -> av.AudioFrame:
    samples = (np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = AUDIO_TIME_BASE
    return frame
