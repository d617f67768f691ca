"""WebVTT captions: one cue per speech, the speaker in a voice span (`<v Name>`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class CueLike(Protocol):
    speaker: str
    start: float
    end: float
    text: str


def timestamp(seconds: float) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _escape(text: str) -> str:
    # WebVTT cue text: & and < start markup, and "-->" would end the timing line's meaning.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _voice(name: str) -> str:
    # A voice annotation ends at ">"; a name holding one would cut the span short.
    return _escape(name).replace("\n", " ")


def captions_vtt(cues: Iterable[CueLike]) -> str:
    lines = ["WEBVTT", ""]
    for i, cue in enumerate(cues, start=1):
        text = " ".join(cue.text.split())
        if not text:
            continue  # a speech with nothing recognised is no caption
        lines += [f"speech-{i}", f"{timestamp(cue.start)} --> {timestamp(max(cue.end, cue.start + 0.001))}",
                  f"<v {_voice(cue.speaker)}>{_escape(text)}</v>", ""]
    return "\n".join(lines)
