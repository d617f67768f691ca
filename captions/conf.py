"""The captions' settings, read from Django's settings when set there, else from the environment.

CAPTIONS_ENGINE: `pocketsphinx` (the default: its English model installs with the package, so the
whole pipeline runs in the embedded default and the tests), `faster_whisper` (production, a model
directory the operator downloads, CAPTIONS_MODEL_DIR) or `none` (captions are not available).
CAPTIONS_LANGUAGE: the language faster-whisper is told ("no" bokmål, "nn" nynorsk).
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
