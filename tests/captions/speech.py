"""Known English sentences, spoken by espeak-ng (Debian's espeak-ng), played as a member's
microphone in real time; and the word error rate of what came back."""

from __future__ import annotations

import asyncio
import fractions
import os
import shutil
import subprocess
import tempfile
import time

import av
import numpy as np
import pytest
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

RATE = 48000
FRAME = 960  # 20 ms
# The voice and speed pocketsphinx's English model follows best of those tried (WER about 0.35).
VOICE = ["-v", "en-us+f2", "-s", "130"]


def require_espeak() -> str:
    """espeak-ng's path; without it the test is skipped, except under CI, where it must be there
    (`make install` installs it)."""
    path = shutil.which("espeak-ng")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("espeak-ng is not installed (make install installs it): the captions test needs real speech")
        pytest.skip("espeak-ng is not installed (make install installs it)")
    return path


def spoken(text: str) -> np.ndarray:
    """`text` spoken, as 48 kHz mono int16."""
    espeak = require_espeak()
    with tempfile.TemporaryDirectory() as folder:
        wav = os.path.join(folder, "speech.wav")
        subprocess.run([espeak, *VOICE, "-w", wav, text], check=True, capture_output=True)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        with av.open(wav) as container:
            chunks = [c.to_ndarray().reshape(-1) for f in container.decode(audio=0) for c in resampler.resample(f)]
        chunks += [c.to_ndarray().reshape(-1) for c in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16)


class ScriptTrack(AudioStreamTrack):
    """Plays `pcm` (48 kHz mono int16) in real time, then silence; `started` is the wall time of
    its first sample, so sample n was spoken at `started + n / RATE`."""

    def __init__(self, pcm: np.ndarray) -> None:
        super().__init__()
        self.pcm = pcm
        self.started: float | None = None
        self._t0 = 0.0
        self._n = 0

    @property
    def finished(self) -> bool:
        return self._n >= len(self.pcm)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.started is None:
            self.started, self._t0 = time.time(), time.monotonic()
        else:
            await asyncio.sleep(self._t0 + self._n / RATE - time.monotonic())
        chunk = self.pcm[self._n:self._n + FRAME]
        chunk = np.pad(chunk, (0, FRAME - len(chunk)))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._n
        frame.time_base = fractions.Fraction(1, RATE)
        self._n += FRAME
        return frame


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))
