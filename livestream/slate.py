"""The slate shown instead of member media: closed doors, audio-only, or no stream yet."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from meetings.visibility import floor_slate_text

FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


@lru_cache(maxsize=16)
def slate_rgb(text: str, width: int, height: int) -> np.ndarray:
    """A dark slate with the notice wrapped to fit; cached because it is drawn every frame."""
    image = Image.new("RGB", (width, height), (20, 32, 56))
    draw = ImageDraw.Draw(image)
    font = _font(max(10, height // 18))
    y = height // 8
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) > width * 0.9 and line:
                draw.text((width * 0.05, y), line, fill=(255, 255, 255), font=font)
                y += int(font.size * 1.3) if hasattr(font, "size") else 14
                line = word
            else:
                line = trial
        draw.text((width * 0.05, y), line, fill=(255, 255, 255), font=font)
        y += int((font.size if hasattr(font, "size") else 12) * 1.8)
    return np.asarray(image)


def floor_slate(*, mode: str, floor: dict[str, Any] | None, speaker_on_camera: bool) -> str | None:
    """The slate over live audio, or None for the speaker's (or chair's) picture (texts:
    `visibility.floor_slate_text`).

    A meeting-wide audio-only mode names the speaker; so does a speaker who simply sends no
    video: showing the chair's camera while someone else speaks would misstate who has the floor.
    """
    return floor_slate_text(mode=mode, name=floor.get("name") if floor else None, speaker_on_camera=speaker_on_camera)
