"""The captions' settings, read from Django's settings when set there, else from the environment.

CAPTIONS_ENGINE: `pocketsphinx` (the default: its English model installs with the package, so the
whole pipeline runs in the embedded default and the tests), `faster_whisper` (production, a model
directory the operator downloads, CAPTIONS_MODEL_DIR) or `none` (captions are not available).
CAPTIONS_LANGUAGE: the language faster-whisper is told ("no" bokmål, "nn" nynorsk).
CAPTIONS_RECORDING_WAIT, CAPTIONS_WORKER_POLL, CAPTIONS_IN_PROCESS: the worker (worker.py).
"""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def engine_name() -> str:
    return _setting("CAPTIONS_ENGINE", "pocketsphinx")


def model_dir() -> str:
    return _setting("CAPTIONS_MODEL_DIR", "")


def language() -> str:
    return _setting("CAPTIONS_LANGUAGE", "no")


def _seconds(name: str, default: float) -> float:
    value = getattr(settings, name, None)  # 0 is a value here, not "unset"
    if value is None or value == "":
        value = os.environ.get(name) or default
    return float(value)


def recording_wait() -> float:
    """Seconds a queued job waits for the composer to finalise the recording before it runs anyway."""
    return _seconds("CAPTIONS_RECORDING_WAIT", 120)


def worker_poll() -> float:
    """Seconds between a worker's looks for ready jobs."""
    return _seconds("CAPTIONS_WORKER_POLL", 5)


def in_process() -> bool:
    """Whether the web server starts the captions worker as its child process (the embedded default: whenever
    the media worker runs in process too, i.e. without Redis)."""
    value = getattr(settings, "CAPTIONS_IN_PROCESS", None)
    if value is None:
        value = os.environ.get("CAPTIONS_IN_PROCESS")
    if value is None or value == "":
        return bool(getattr(settings, "MEDIA_IN_PROCESS", True))
    return str(value).lower() in ("1", "true", "yes", "on") if not isinstance(value, bool) else value
