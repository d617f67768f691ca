"""The public recording as the composer left it under LIVESTREAM_ROOT, read for transcription.

The composer logs every segment it writes in `segments.jsonl` (livestream/composer.py); the
recording is the open-part segments in that order, the timeline `livestream.playlists` maps wall
time onto (`recording_offset`, also used for the chapters). Closed parts are not in it at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from livestream import playlists
from livestream.composer import SEGMENTS_LOG
from livestream.health import stream_dir

from .engines import SAMPLE_RATE

log = logging.getLogger(__name__)


def recording_exists(meeting_id: int) -> bool:
    return (stream_dir(meeting_id) / "recording.m3u8").is_file()


def recording_finalised(meeting_id: int) -> bool:
    """The composer has written the recording's last segment: it ends the playlist (`#EXT-X-ENDLIST`,
    a VOD playlist) when it stops, which the media worker makes it do when the meeting ends."""
    try:
        return "#EXT-X-ENDLIST" in (stream_dir(meeting_id) / "recording.m3u8").read_text()
    except OSError:
        return False


def recording_segments(meeting_id: int) -> list[dict[str, Any]]:
    """The recording's segments (open part, file present), as `livestream.playlists` takes them."""
    folder = stream_dir(meeting_id)
    try:
        lines = (folder / SEGMENTS_LOG).read_text().splitlines()
    except FileNotFoundError:
        return []
    segments = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:  # a line a crash cut short; the composer skips it too
            continue
        if entry.get("open") and (folder / entry["name"]).is_file():
            segments.append({**entry, "start": dt.datetime.fromisoformat(entry["start"])})
    return segments


@dataclass(frozen=True)
class Recording:
    meeting_id: int
    segments: list[dict[str, Any]]

    def offset(self, at: dt.datetime) -> float:
        """Seconds into the recording of wall time `at` (the chapters' mapping)."""
        return playlists.recording_offset(self.segments, at)

    def audio(self, start: float, end: float) -> np.ndarray:
        """16 kHz mono int16 PCM of the recording from `start` to `end` seconds on its timeline.

        Each segment's decoded samples are laid at the segment's place on the timeline (cut or
        padded to its stated duration), so an encoder's priming or a short last frame never shifts
        the speech after it."""
        folder = stream_dir(self.meeting_id)
        parts: list[np.ndarray] = []
        offset = 0.0
        for segment in self.segments:
            seg_start, seg_end = offset, offset + segment["duration"]
            offset = seg_end
            if seg_end <= start or seg_start >= end:
                continue
            pcm = _segment_audio(str(folder / segment["name"]), round(segment["duration"] * SAMPLE_RATE))
            lo = max(0, round((start - seg_start) * SAMPLE_RATE))
            hi = min(len(pcm), round((end - seg_start) * SAMPLE_RATE))
            parts.append(pcm[lo:hi])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def recording_get(meeting_id: int) -> Recording | None:
    segments = recording_segments(meeting_id)
    return Recording(meeting_id=meeting_id, segments=segments) if segments else None


def _segment_audio(path: str, samples: int) -> np.ndarray:
    out = np.zeros(samples, dtype=np.int16)
    filled = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(path) as container:
            if not container.streams.audio:
                return out
            for frame in container.decode(audio=0):
                for chunk in resampler.resample(frame):
                    filled = _put(out, filled, chunk.to_ndarray().reshape(-1))
            for chunk in resampler.resample(None):
                filled = _put(out, filled, chunk.to_ndarray().reshape(-1))
    except av.FFmpegError:  # a damaged segment is silence in the transcript, not a failed job
        log.warning("could not decode the audio of %s", path)
    return out


def _put(out: np.ndarray, filled: int, pcm: np.ndarray) -> int:
    k = min(len(out) - filled, len(pcm))
    if k > 0:
        out[filled:filled + k] = pcm[:k]
    return filled + max(k, 0)


VOICE_FLOOR = 0.01  # RMS (full scale 1) of a 20 ms window that counts as sound; room noise is below it


def voiced_span(pcm: np.ndarray, start: float, end: float) -> tuple[float, float]:
    """The part of a speech's interval, `start` to `end` seconds on the recording, that has sound in
    it. The floor's interval runs from the chair's grant to the chair's end, a moment or two either
    side of the words; the cue is shown while the words are spoken. All silence: the interval as it was."""
    window = SAMPLE_RATE // 50
    frames = pcm[: len(pcm) // window * window].astype(np.float32).reshape(-1, window) / 32768
    loud = np.flatnonzero(np.sqrt((frames ** 2).mean(axis=1)) > VOICE_FLOOR)
    if not len(loud):
        return start, end
    first, last = loud[0] * window / SAMPLE_RATE, (loud[-1] + 1) * window / SAMPLE_RATE
    return start + first, min(end, start + last)

