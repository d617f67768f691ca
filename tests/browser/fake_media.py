"""Recognisable camera and microphone input for one browser.

Chromium's default fake devices give every browser the same beeps and the same picture, so a page
cannot tell whose media it received. The speaker's browser reads these files instead: a magenta
picture with a moving white bar and a steady 1500 Hz tone, which the other pages detect by colour
and by frequency (DESIGN.md §8: "checking by frequency and pattern what each receiver gets").
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

WIDTH, HEIGHT, FPS = 640, 360, 20
TONE_HZ = 1500
# BT.601 YCbCr of a saturated magenta (RGB 255, 0, 255) and of white.
MAGENTA = (105, 212, 234)
WHITE = (235, 128, 128)


def write_video(path: Path, frames: int = 40) -> Path:
    """A YUV4MPEG2 file (what --use-file-for-fake-video-capture reads); it loops."""
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode()
    cw, ch = WIDTH // 2, HEIGHT // 2
    u_plane = bytes([MAGENTA[1]]) * (cw * ch)
    v_plane = bytes([MAGENTA[2]]) * (cw * ch)
    with open(path, "wb") as f:
        f.write(header)
        for n in range(frames):
            bar = (n * WIDTH // frames, n * WIDTH // frames + 32)  # motion, so every frame differs
            row = bytes(WHITE[0] if bar[0] <= x < bar[1] else MAGENTA[0] for x in range(WIDTH))
            f.write(b"FRAME\n")
            f.write(row * HEIGHT)
            f.write(u_plane)
            f.write(v_plane)
    return path


def write_audio(path: Path, seconds: float = 2.0, rate: int = 48000) -> Path:
    """A 16-bit mono WAV of a steady tone (what --use-file-for-fake-audio-capture reads); it loops."""
    samples = int(seconds * rate)
    # A whole number of periods per file, so the loop point does not click.
    periods = round(seconds * TONE_HZ)
    data = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * periods * i / samples)))
                    for i in range(samples))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
    return path
