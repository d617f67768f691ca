"""The legal core of the public stream: while the doors are closed, nothing from members reaches a
public segment or the recording. Real encoding with PyAV; the segments are decoded and analysed."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import av
import numpy as np
import pytest

from livestream.composer import Composer
from tests.media.clients import ColourTrack, ToneTrack

pytestmark = pytest.mark.media
TONE = 1000


def segment_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().reshape(-1).astype(np.float32) for f in c.decode(audio=0)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def tone_energy(pcm: np.ndarray, freq: float = TONE, rate: int = 48000) -> float:
    """Share of the spectrum's energy within ±20 Hz of `freq` (0 for silence)."""
    if len(pcm) < rate // 20 or np.abs(pcm).max() < 1e-4:
        return 0.0
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm)))) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    return float(spectrum[(freqs > freq - 20) & (freqs < freq + 20)].sum() / spectrum.sum())


def segment_starts(playlist: str) -> dict[str, dt.datetime]:
    starts, current = {}, None
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            current = dt.datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00"))
        elif line and not line.startswith("#"):
            starts[line] = current
    return starts


async def test_closed_doors_cut_member_media_before_encoding(tmp_path):
    composer = Composer(1, tmp_path, width=160, height=90, fps=10, segment_seconds=1.0, window=100)
    tone, camera = ToneTrack(TONE), ColourTrack((200, 80, 80))
    composer.set_sources([tone], camera)
    composer.start()
    try:
        await asyncio.sleep(3.2)
        composer.set_gate(True, "Møtet er lukket for publikum etter kommuneloven § 11-5 tredje ledd bokstav a")
        closed_at = dt.datetime.now(dt.timezone.utc)
        composer.add_chapter("PS 34/26 (lukket)")
        await asyncio.sleep(2.5)
        composer.set_gate(False)
        opened_at = dt.datetime.now(dt.timezone.utc)
        composer.add_chapter("PS 35/26 Trafikksikkerhetsplan")
        await asyncio.sleep(2.5)
    finally:
        await composer.stop()
        tone.stop()
        camera.stop()
    segments = sorted(tmp_path.glob("seg_*.ts"))
    starts = segment_starts((tmp_path / "index.m3u8").read_text())
    assert len(segments) >= 6
    before, during, after = [], [], []
    for seg in segments:
        start = starts[seg.name]
        energy = tone_energy(segment_audio(seg))
        if start < closed_at - dt.timedelta(seconds=1.0) and start > starts[segments[0].name]:
            before.append(energy)
        elif closed_at <= start < opened_at:
            during.append(energy)
        elif start >= opened_at + dt.timedelta(seconds=0.5):
            after.append(energy)
    assert before and min(before) > 0.5, before  # the tone is public while the doors are open
    assert during and max(during) < 1e-3, during  # nothing at that frequency behind closed doors
    assert after and max(after) > 0.5, after  # and it returns when they reopen
    # The segment in progress was cut at the gate: a segment starts within a tick of it.
    assert min(abs((s - closed_at).total_seconds()) for s in starts.values()) < 0.25
    # The recording holds only open-part segments.
    recording = (tmp_path / "recording.m3u8").read_text()
    recorded = [line for line in recording.splitlines() if line.startswith("seg_")]
    for name in recorded:
        assert not (closed_at <= starts[name] < opened_at), name
    assert "#EXT-X-ENDLIST" in recording and "#EXT-X-DISCONTINUITY" in recording
    # Chapters sit on the recording timeline (closed time excluded), within a segment's length.
    vtt = (tmp_path / "chapters.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "PS 35/26 Trafikksikkerhetsplan" in vtt
    offsets = [o for o, _ in composer.chapters]
    recorded_before = sum(e["duration"] for e in composer.recording if e["start"] < closed_at)
    assert abs(offsets[1] - recorded_before) <= 1.0


async def test_the_picture_is_the_slate_while_closed(tmp_path):
    composer = Composer(2, tmp_path, width=160, height=90, fps=10, segment_seconds=1.0)
    camera = ColourTrack((200, 80, 80))
    composer.set_sources([], camera)
    composer.start()
    try:
        await asyncio.sleep(1.5)
        composer.set_gate(True, "Lukket møte")
        await asyncio.sleep(1.5)
    finally:
        await composer.stop()
        camera.stop()
    last = sorted(tmp_path.glob("seg_*.ts"))[-1]
    with av.open(str(last)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    # The slate is dark blue with white text; the member's camera was a saturated red.
    r, g, b = frame[..., 0].mean(), frame[..., 1].mean(), frame[..., 2].mean()
    assert b > r, (r, g, b)
