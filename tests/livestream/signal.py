"""Signal analysis of what the public receives: decode HLS segments with PyAV and place every
decoded sample on the wall clock (PROGRAM-DATE-TIME + its offset in the segment), then measure a
tone's amplitude in short windows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import av
import numpy as np

RATE = 48000


def media_file(out: Path, name: str) -> Path:
    """The file a playlist entry names; a recording group (`rec_<first>_<last>.ts`) is its
    segments' files one after another, as livestream/views.py serves it, written next to them."""
    from livestream.playlists import group_segments

    numbers = group_segments(name)
    if numbers is None:
        return out / name
    joined = out / f".{name}"
    joined.write_bytes(b"".join((out / f"seg_{n:05d}.ts").read_bytes() for n in range(numbers[0], numbers[1] + 1)))
    return joined


def segment_starts(playlist: str) -> dict[str, dt.datetime]:
    starts: dict[str, dt.datetime] = {}
    current = None
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            current = dt.datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00"))
        elif line and not line.startswith("#"):
            starts[line] = current
    return starts


def segment_timestamps(path: Path) -> tuple[list[float], list[float]]:
    """Presentation times (s) of the decoded video frames and of the decoded audio frames."""
    with av.open(str(path)) as c:
        video = [float(f.time) for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio = [float(f.time) for f in c.decode(audio=0)]
    return video, audio


def timed_audio(path: Path, start: dt.datetime) -> tuple[float, np.ndarray]:
    """(wall time of the first decoded sample as a POSIX timestamp, the segment's mono samples).

    PROGRAM-DATE-TIME names the wall time of the segment's first video frame, so audio plays at
    PDT + (its PTS - that frame's PTS). Decoded audio frames within a segment are contiguous."""
    with av.open(str(path)) as c:
        first_video = next(iter(c.decode(video=0))).time
    with av.open(str(path)) as c:
        frames = list(c.decode(audio=0))
    if not frames:
        return start.timestamp(), np.zeros(0, dtype=np.float32)
    pcm = np.concatenate([f.to_ndarray().reshape(len(f.layout.channels), -1)[0] for f in frames]).astype(np.float32)
    return start.timestamp() + float(frames[0].time - first_video), pcm


def windows(t0: float, pcm: np.ndarray, seconds: float = 0.05) -> list[tuple[float, float, np.ndarray]]:
    """Cut samples starting at wall time `t0` into windows: (first sample time, last sample time, samples)."""
    size = int(RATE * seconds)
    return [(t0 + i / RATE, t0 + (i + len(pcm[i:i + size]) - 1) / RATE, pcm[i:i + size])
            for i in range(0, len(pcm), size) if len(pcm[i:i + size]) >= size // 2]


def tone_amplitude(pcm: np.ndarray, freq: float) -> float:
    """Amplitude (full scale = 1) of the sinusoid at `freq` in `pcm` (Hann-windowed DFT bin)."""
    if len(pcm) == 0:
        return 0.0
    w = np.hanning(len(pcm))
    t = np.arange(len(pcm)) / RATE
    return float(2 * abs(np.sum(pcm * w * np.exp(-2j * np.pi * freq * t))) / w.sum())


def segment_audio(path: Path) -> np.ndarray:
    """All decoded audio of one segment, mono."""
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().reshape(len(f.layout.channels), -1)[0].astype(np.float32) for f in c.decode(audio=0)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def tone_energy(pcm: np.ndarray, freq: float = 1000, rate: int = RATE) -> float:
    """Share of the spectrum's energy within ±20 Hz of `freq` (0 for silence)."""
    if len(pcm) < rate // 20 or np.abs(pcm).max() < 1e-4:
        return 0.0
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm)))) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    return float(spectrum[(freqs > freq - 20) & (freqs < freq + 20)].sum() / spectrum.sum())
