"""Speech-to-text engines behind one small interface: 16 kHz mono int16 PCM in, text out.

- `pocketsphinx`: CMU PocketSphinx; the PyPI wheel ships an English acoustic and language model,
  so it needs no download. Used by the embedded default and the tests (real speech, real decoding).
- `faster_whisper`: faster-whisper (CTranslate2) with a Whisper model in CAPTIONS_MODEL_DIR, for
  Norwegian in production (e.g. the National Library's NB-Whisper, converted for CTranslate2). It
  is imported only when chosen, and only loads a directory the operator put there: nothing is ever
  fetched from a model hub at run time.
- `none`: no engine; a job ends as "unavailable" with the reason, never as a failure.

`engine_get()` raises `EngineUnavailable` when the configured engine cannot run here (unknown
name, package not installed, no model directory); callers turn that into the job's state.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import conf

SAMPLE_RATE = 16000  # what both engines' models are trained on


class EngineUnavailable(Exception):
    """The configured engine cannot run here; the message says why (shown to the clerk)."""


class Engine(Protocol):
    name: str

    def transcribe(self, pcm: np.ndarray) -> str:
        """Text of `pcm` (int16, mono, SAMPLE_RATE); "" for silence."""
        ...


class PocketSphinxEngine:
    name = "pocketsphinx"

    def __init__(self) -> None:
        from pocketsphinx import Decoder  # type: ignore[import-untyped,unused-ignore]

        # One decoder, reused: loading the model takes about a second, decoding a speech much longer.
        self._decoder: Any = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")

    def transcribe(self, pcm: np.ndarray) -> str:
        if len(pcm) == 0:
            return ""
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(np.ascontiguousarray(pcm, dtype=np.int16).tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""


class FasterWhisperEngine:
    name = "faster_whisper"

    def __init__(self, model_dir: str, language: str) -> None:
        from faster_whisper import WhisperModel  # type: ignore[import-not-found,import-untyped,unused-ignore]

        # int8 on the CPU: the cheapest mode CTranslate2 offers, a few times real time for "small".
        self._model: Any = WhisperModel(model_dir, device="cpu", compute_type="int8")
        self._language = language

    def transcribe(self, pcm: np.ndarray) -> str:
        if len(pcm) == 0:
            return ""
        audio = pcm.astype(np.float32) / 32768.0
        segments, _info = self._model.transcribe(audio, language=self._language, vad_filter=True)
        return " ".join(s.text.strip() for s in segments).strip()


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@functools.cache
def _load(name: str, model_dir: str, language: str) -> Engine:
    # Cached per configuration: a worker transcribing meeting after meeting loads its model once.
    if name == "none":
        raise EngineUnavailable("no speech-to-text engine is configured (CAPTIONS_ENGINE=none)")
    if name == "pocketsphinx":
        if not _installed("pocketsphinx"):
            raise EngineUnavailable("the pocketsphinx package is not installed")
        return PocketSphinxEngine()
    if name == "faster_whisper":
        if not _installed("faster_whisper"):
            raise EngineUnavailable("the faster-whisper package is not installed (pip install faster-whisper)")
        if not model_dir or not Path(model_dir).is_dir():
            raise EngineUnavailable("CAPTIONS_MODEL_DIR does not name a model directory")
        return FasterWhisperEngine(model_dir, language)
    raise EngineUnavailable(f"unknown speech-to-text engine {name!r} (CAPTIONS_ENGINE)")


def engine_get() -> Engine:
    """The configured engine, loaded once; raises EngineUnavailable."""
    return _load(conf.engine_name(), conf.model_dir(), conf.language())
