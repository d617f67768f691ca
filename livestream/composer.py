"""The public mix of one meeting: decode the floor, mix, encode H.264/AAC once, write HLS.

A composer thread ticks in real time. Each tick it takes the latest picture of the video source
and the audio received since the last tick from the audio sources, or, while the gate is closed
(doors closed, § 11-5), a slate and digital silence. The gate is applied *before* encoding and
closing it cuts the segment in progress, so no member media recorded after the gate instant can
reach a public segment, the recording, or anything built from them.

Segments are MPEG-TS files of about `segment_seconds`, one container each, with continuous
timestamps; `index.m3u8` is the live sliding window, `recording.m3u8` lists the open-part
segments only (an EVENT playlist that becomes the published recording), `chapters.vtt` marks items
and speeches on the recording timeline.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import fractions
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from .slate import slate_rgb

log = logging.getLogger(__name__)
SAMPLE_RATE = 48000


class _AudioBuffer:
    """Mono 48 kHz samples received from one source, bounded (drops the oldest beyond 2 s)."""

    def __init__(self) -> None:
        self.chunks: collections.deque[np.ndarray] = collections.deque()
        self.size = 0
        self.lock = threading.Lock()
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

    def push(self, frame: av.AudioFrame) -> None:
        for out in self.resampler.resample(frame):
            pcm = out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
            with self.lock:
                self.chunks.append(pcm)
                self.size += len(pcm)
                while self.size > 2 * SAMPLE_RATE:
                    self.size -= len(self.chunks.popleft())

    def take(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        filled = 0
        with self.lock:
            while filled < n and self.chunks:
                chunk = self.chunks[0]
                k = min(n - filled, len(chunk))
                out[filled:filled + k] = chunk[:k]
                filled += k
                if k == len(chunk):
                    self.chunks.popleft()
                else:
                    self.chunks[0] = chunk[k:]
                self.size -= k
        return out

    def clear(self) -> None:
        with self.lock:
            self.chunks.clear()
            self.size = 0


class Composer:
    def __init__(self, meeting_id: int, out_dir: Path, *, width: int = 640, height: int = 360, fps: int = 15,
                 segment_seconds: float = 1.0, window: int = 6, video_bitrate: int = 800_000,
                 on_state: Callable[[bool, str], None] | None = None) -> None:
        self.meeting_id = meeting_id
        self.out_dir = Path(out_dir)
        self.width, self.height, self.fps = width, height, fps
        self.segment_seconds = segment_seconds
        self.window = window
        self.video_bitrate = video_bitrate
        self.on_state = on_state
        self.gate_closed = False
        self.slate_text: str | None = None
        self.gate_events: list[tuple[float, bool]] = []  # (wall time, closed) for tests and the bench
        self._gate_changed = threading.Event()
        self._audio: dict[Any, _AudioBuffer] = {}
        self._video_frame: np.ndarray | None = None
        self._video_source: Any = None
        self._readers: dict[Any, asyncio.Task[None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._segments: list[dict[str, Any]] = []  # live window
        self._recording: list[dict[str, Any]] = []  # open-part segments
        self._chapters: list[tuple[float, str]] = []
        self._seq = 0
        self._recorded_seconds = 0.0
        self._segment_started = 0.0
        self._segment_open_part = True
        self.up = False

    # Sources (called on the event loop that owns the tracks) ---------------------------------

    def set_sources(self, audio: list[Any], video: Any | None) -> None:
        wanted = {id(t): t for t in audio}
        if video is not None:
            wanted[id(video)] = video
        for key in list(self._readers):
            if key not in wanted:
                self._readers.pop(key).cancel()
                self._audio.pop(key, None)
        for key, track in wanted.items():
            if key not in self._readers:
                if track.kind == "audio":
                    self._audio[key] = _AudioBuffer()
                self._readers[key] = asyncio.ensure_future(self._read(key, track))
        with self._lock:
            self._video_source = id(video) if video is not None else None
            if video is None:
                self._video_frame = None

    async def _read(self, key: int, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                if self.gate_closed:
                    continue  # consumed and dropped: nothing received while closed is kept
                if track.kind == "audio":
                    buf = self._audio.get(key)
                    if buf is not None:
                        buf.push(frame)
                elif self._video_source == key:
                    rgb = frame.to_ndarray(format="rgb24", width=self.width, height=self.height)
                    with self._lock:
                        if not self.gate_closed:
                            self._video_frame = rgb
        except asyncio.CancelledError:
            raise
        except Exception:  # the track ended (member left): the mix goes on without it
            return

    # Gate and slates --------------------------------------------------------------------------

    def set_gate(self, closed: bool, slate_text: str = "") -> None:
        """Close (or open) the public output now. Closing drops everything buffered from members."""
        with self._lock:
            if closed == self.gate_closed:
                self.slate_text = slate_text or self.slate_text
                return
            self.gate_closed = closed
            self.slate_text = slate_text if closed else None
            if closed:
                self._video_frame = None
                for buf in self._audio.values():
                    buf.clear()
            self.gate_events.append((time.time(), closed))
        self._gate_changed.set()  # the thread cuts the segment in progress

    def set_slate(self, text: str | None) -> None:
        """Audio continues, the picture is a slate (audio-only meeting, or naming the speaker)."""
        with self._lock:
            if not self.gate_closed:
                self.slate_text = text

    def add_chapter(self, title: str) -> None:
        with self._lock:
            offset = self._recorded_seconds
            if self._segment_open_part and not self.gate_closed:
                offset += max(0.0, time.time() - self._segment_started)
            self._chapters.append((offset, title))
        self._write_chapters()

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name=f"composer-{self.meeting_id}", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        for task in self._readers.values():
            task.cancel()
        self._stop.set()
        if self._thread:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 10)
        self._write_playlists(ended=True)

    def _report(self, up: bool, reason: str) -> None:
        if up != self.up:
            self.up = up
            if self.on_state:
                try:
                    self.on_state(up, reason)
                except Exception:
                    log.exception("stream state callback failed")

    # The composer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._encode_until_stopped()
            except Exception as exc:  # report, wait, retry: the meeting goes on without the stream
                log.exception("composer of meeting %s failed", self.meeting_id)
                self._report(False, f"encoder error: {exc.__class__.__name__}")
                self._stop.wait(1.0)

    def _open_segment(self) -> tuple[Any, Any, Any, Path]:
        self._seq += 1
        path = self.out_dir / f"seg_{self._seq:05d}.ts.tmp"
        container = av.open(str(path), mode="w", format="mpegts")
        video = container.add_stream("libx264", rate=self.fps)
        video.width, video.height, video.pix_fmt = self.width, self.height, "yuv420p"
        video.bit_rate = self.video_bitrate
        video.options = {"preset": "veryfast", "tune": "zerolatency", "g": str(self.fps), "keyint_min": str(self.fps)}
        video.codec_context.time_base = fractions.Fraction(1, self.fps)
        audio = container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = 96_000
        with self._lock:
            self._segment_started = time.time()
            self._segment_open_part = not self.gate_closed
        return container, video, audio, path

    def _close_segment(self, container: Any, video: Any, audio: Any, path: Path, frames: int) -> None:
        for packet in video.encode(None):
            container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
        container.close()
        final = path.with_suffix("")  # seg_00001.ts
        os.replace(path, final)
        duration = frames / self.fps
        with self._lock:
            entry = {"name": final.name, "seq": self._seq, "duration": duration,
                     "start": dt.datetime.fromtimestamp(self._segment_started, dt.timezone.utc),
                     "open": self._segment_open_part}
            if entry["open"]:
                self._recorded_seconds += duration
        self._segments.append(entry)
        self._segments = self._segments[-self.window:]
        if entry["open"]:
            self._recording.append(entry)
        self._write_playlists()

    def _encode_until_stopped(self) -> None:
        tick = 1.0 / self.fps
        samples_per_tick = SAMPLE_RATE // self.fps
        frames_per_segment = max(1, round(self.segment_seconds * self.fps))
        next_tick = time.monotonic()
        while not self._stop.is_set():
            container, vstream, astream, path = self._open_segment()
            self._gate_changed.clear()
            frames = 0
            while frames < frames_per_segment and not self._stop.is_set():
                if self._gate_changed.is_set() and frames > 0:
                    break  # the gate moved: cut here, the next segment starts on the other side
                self._encode_tick(container, vstream, astream, samples_per_tick)
                frames += 1
                self._report(True, "")
                next_tick += tick
                delay = next_tick - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                elif delay < -1.0:
                    next_tick = time.monotonic()  # fell behind (overload): skip ahead, never build a backlog
            self._close_segment(container, vstream, astream, path, frames)

    def _encode_tick(self, container: Any, vstream: Any, astream: Any, samples: int) -> None:
        with self._lock:
            closed = self.gate_closed
            slate = self.slate_text
            picture = None if closed or slate else self._video_frame
        if closed or slate or picture is None:
            picture = slate_rgb(slate or "Direkteoverføring – venter på bilde", self.width, self.height)
        if closed:
            pcm = np.zeros(samples, dtype=np.float32)
        else:
            pcm = np.zeros(samples, dtype=np.float32)
            for buf in list(self._audio.values()):
                pcm += buf.take(samples)
            np.clip(pcm, -1.0, 1.0, out=pcm)
        vframe = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        vframe.pts = None
        for packet in vstream.encode(vframe):
            container.mux(packet)
        aframe = av.AudioFrame.from_ndarray((pcm * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono")
        aframe.sample_rate = SAMPLE_RATE
        aframe.pts = None
        for packet in astream.encode(aframe):
            container.mux(packet)

    # Playlists --------------------------------------------------------------------------------

    def _playlist(self, entries: list[dict[str, Any]], *, kind: str | None, ended: bool, first_seq: int) -> str:
        target = max([1] + [int(e["duration"] + 0.999) for e in entries])
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
                 f"#EXT-X-MEDIA-SEQUENCE:{first_seq}"]
        if kind:
            lines.append(f"#EXT-X-PLAYLIST-TYPE:{kind}")
        previous = None
        for e in entries:
            if previous is not None and e["seq"] != previous + 1:
                lines.append("#EXT-X-DISCONTINUITY")  # a closed part was left out here
            previous = e["seq"]
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{e['start'].isoformat(timespec='milliseconds').replace('+00:00', 'Z')}")
            lines.append(f"#EXTINF:{e['duration']:.3f},")
            lines.append(e["name"])
        if ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def _write(self, name: str, text: str) -> None:
        tmp = self.out_dir / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, self.out_dir / name)

    def _write_playlists(self, ended: bool = False) -> None:
        live = self._segments
        first = int(live[0]["name"][4:9]) if live else 0
        self._write("index.m3u8", self._playlist(live, kind=None, ended=ended, first_seq=first))
        self._write("recording.m3u8", self._playlist(self._recording, kind="VOD" if ended else "EVENT", ended=ended,
                                                     first_seq=0))

    def _write_chapters(self) -> None:
        def ts(seconds: float) -> str:
            ms = int(round(seconds * 1000))
            return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

        with self._lock:
            chapters = list(self._chapters)
            total = self._recorded_seconds
        lines = ["WEBVTT", ""]
        for i, (start, title) in enumerate(chapters):
            end = chapters[i + 1][0] if i + 1 < len(chapters) else max(total, start + 1)
            lines += [f"{i + 1}", f"{ts(start)} --> {ts(max(end, start + 0.001))}", title, ""]
        self._write("chapters.vtt", "\n".join(lines))

    @property
    def recording(self) -> list[dict[str, Any]]:
        return list(self._recording)

    @property
    def chapters(self) -> list[tuple[float, str]]:
        return list(self._chapters)
