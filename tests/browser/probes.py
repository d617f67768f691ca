"""Measurements run inside a page: what a member's browser actually receives."""

from __future__ import annotations

import time

# For every <video> and <audio> of the floor: the picture's mean colour and whether frames keep
# arriving (currentTime and the decoded-frame count both advance over half a second), and the
# sound's strongest frequency and its level (WebAudio FFT of the received track).
FLOOR_MEDIA = """
async () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const videos = [...document.querySelectorAll('#floor-videos video')];
  const audios = [...document.querySelectorAll('#floor-videos audio')];
  const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 36 });
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const colour = (v) => {
    if (!v.videoWidth) return null;
    g.drawImage(v, 0, 0, 64, 36);
    const d = g.getImageData(0, 0, 64, 36).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2]; }
    return sum.map((s) => Math.round(s / (d.length / 4)));
  };
  const frames = (v) => v.getVideoPlaybackQuality().totalVideoFrames;
  const ctx = new AudioContext();
  const analysers = audios.filter((a) => a.srcObject).map((a) => {
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    ctx.createMediaStreamSource(a.srcObject).connect(an);
    return an;
  });
  const before = videos.map((v) => ({ t: v.currentTime, f: frames(v) }));
  await wait(700);
  const sounds = analysers.map((an) => {
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    let peak = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
    return { peakHz: Math.round(peak * ctx.sampleRate / an.fftSize), peakDb: Math.round(bins[peak]) };
  });
  ctx.close();
  return {
    videos: videos.map((v, i) => ({ colour: colour(v),
                                    advancing: v.currentTime > before[i].t && frames(v) > before[i].f,
                                    label: v.getAttribute('aria-label') })),
    sounds,
  };
}
"""


def is_magenta(colour: list[int] | None) -> bool:
    return colour is not None and colour[0] > 150 and colour[2] > 150 and colour[1] < 110


def wait_for_speaker_media(page, *, tone_hz: int, speaker: str | None = None, timeout: float = 30.0) -> dict:
    """Poll until the page plays a magenta, advancing video and a tone near `tone_hz` (the speaker's
    recognisable camera and microphone), the video labelled with `speaker`'s name if given (the
    media server says whose media each slot carries); returns the last measurement either way."""
    deadline = time.monotonic() + timeout
    while True:
        seen = page.evaluate(FLOOR_MEDIA)
        video_ok = any(v["advancing"] and is_magenta(v["colour"]) and (speaker is None or speaker in (v["label"] or ""))
                       for v in seen["videos"])
        audio_ok = any(abs(s["peakHz"] - tone_hz) < 60 and s["peakDb"] > -70 for s in seen["sounds"])
        seen["ok"] = video_ok and audio_ok
        if seen["ok"] or time.monotonic() > deadline:
            return seen


# The mean colour of what a <video> shows now (null before its first frame).
VIDEO_COLOUR = """
(selector) => {
  const v = document.querySelector(selector);
  if (!v || !v.videoWidth) return null;
  const c = Object.assign(document.createElement('canvas'), { width: 64, height: 36 });
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0, 64, 36);
  const d = g.getImageData(0, 0, 64, 36).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) { sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2]; }
  return sum.map((s) => Math.round(s / (d.length / 4)));
}
"""


def wait_until_not_showing_speaker(page, selector: str, timeout: float = 30.0) -> list[int] | None:
    """Poll until the video at `selector` no longer shows the speaker's magenta picture."""
    deadline = time.monotonic() + timeout
    while True:
        colour = page.evaluate(VIDEO_COLOUR, selector)
        if (colour is not None and not is_magenta(colour)) or time.monotonic() > deadline:
            return colour
        time.sleep(0.5)
