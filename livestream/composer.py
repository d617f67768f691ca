"""The public mix of one meeting: decode the floor, mix, encode once, write HLS, feed WebRTC viewers.

A composer thread ticks in real time. Each tick it takes the latest picture of the video source
and the audio received since the last tick from the audio sources, or, while the gate is closed
(doors closed, § 11-5), a slate and digital silence. The gate is applied *before* any encoder, so
no member media received after the gate instant reaches a public segment, the recording or a
WebRTC viewer; closing it also cuts the segment in progress.

Encoders live as long as the composer (`encoders.StreamEncoders`): timestamps are continuous
across segments, tick n has video PTS n (1/fps) and audio PTS n * 48000/fps, and tick n belongs
to wall time `epoch + (n - n0)/fps`, which is what each segment's PROGRAM-DATE-TIME says. Segments
are MPEG-TS files cut at forced IDR frames. Every packet is muxed twice: into its segment and into
the segment's partial segment in progress (`part_<seq>_<n>.ts`, `part_seconds` long), which is
published as soon as it is complete, so a low-latency player is one part behind instead of one
segment; the gate cuts the part in progress together with its segment. `index.m3u8` is the live
window (Low-Latency HLS, rewritten at every part), `recording.m3u8` the open-part segments in
groups of about six seconds (EVENT, VOD once ended), `chapters.vtt` items and speeches placed by the
log's own timestamps. `segments.jsonl` and `chapters.jsonl` let a restarted composer continue
the numbering, the recording and its chapters instead of overwriting them.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from meetings.visibility import waiting_slate

from . import playlists
from .encoders import SAMPLE_RATE, StreamEncoders
from .slate import slate_rgb

log = logging.getLogger(__name__)
PTS_ORIGIN_SECONDS = 1  # timestamps start at 1 s, so AAC priming never makes them negative
KEYFRAME_REQUEST_INTERVAL = 1.0
SEGMENTS_LOG, CHAPTERS_LOG = "segments.jsonl", "chapters.jsonl"  # not served: views only serve media names
PART_FILES_KEPT_SEGMENTS = 6  # part files outlive their listing (3 segments) for players a little behind


class PacketSink(Protocol):
    """Receives the composer's encoded output, on the composer thread (e.g. the WebRTC viewers)."""

    def video_packet(self, packet: av.Packet) -> None: ...
    def audio_packet(self, packet: av.Packet) -> None: ...
    def composer_stopped(self) -> None: ...


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


class _Segment:
    def __init__(self, *, seq: int, path: Path, container: Any, streams: tuple[Any, Any], first_tick: int,
                 start: dt.datetime, open_part: bool) -> None:
        self.seq, self.path, self.container = seq, path, container
        self.video, self.audio = streams
        self.first_tick, self.start, self.open_part = first_tick, start, open_part
        self.frames = 0
        self.parts = 0  # partial segments begun in it


class Composer:
    def __init__(self, meeting_id: int, out_dir: Path, *, width: int = 640, height: int = 360, fps: int = 15,
                 segment_seconds: float = 1.0, window: int = 6, video_bitrate: int = 800_000,
                 part_seconds: float = 1 / 3, on_state: Callable[[bool, str], None] | None = None) -> None:
        self.meeting_id = meeting_id
        self.out_dir = Path(out_dir)
        self.width, self.height, self.fps = width, height, fps
        self.segment_seconds = segment_seconds
        self.frames_per_segment = max(1, round(segment_seconds * fps))
        self.frames_per_part = min(self.frames_per_segment, max(1, round(part_seconds * fps)))
        self.part_target = self.frames_per_part / fps
        self.window = window
        self.video_bitrate = video_bitrate
        self.on_state = on_state
        self.gate_closed = False
        self.slate_text: str | None = None
        self.gate_events: list[tuple[float, bool]] = []  # (wall time, closed) for tests and the bench
        self._audio: dict[Any, _AudioBuffer] = {}
        self._video_frame: av.VideoFrame | None = None
        self._video_source: Any = None
        self._readers: dict[Any, asyncio.Task[None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sinks: list[PacketSink] = []
        self._keyframe_requested = False
        self._last_forced_keyframe = 0.0
        self._slates: dict[str, av.VideoFrame] = {}
        # Persisted across restarts (segments.jsonl, chapters.jsonl):
        self._segments: list[dict[str, Any]] = []  # every segment written, open or closed
        self._chapters: list[tuple[dt.datetime, str, str]] = []  # (at, title, "item" or "speech")
        self._seq = 0
        self._epoch = 0
        # The live edge (not persisted: a restarted composer starts a new segment):
        self._parts: dict[int, list[dict[str, Any]]] = {}  # seq -> its published parts
        self._pending: dict[str, Any] | None = None  # the segment in progress (seq, start, epoch)
        self._writing: str | None = None  # the part being written (the playlist's preload hint)
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
                    with self._lock:  # scaling happens on the composer thread, not here
                        if not self.gate_closed:
                            self._video_frame = frame
        except asyncio.CancelledError:
            raise
        except Exception:  # the track ended (member left): the mix goes on without it
            return

    # Gate, slates, chapters, sinks ------------------------------------------------------------

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
            self.gate_events.append((time.time(), closed))  # the next tick cuts the segment in progress

    def set_slate(self, text: str | None) -> None:
        """Audio continues, the picture is a slate (audio-only meeting, or naming the speaker)."""
        with self._lock:
            if not self.gate_closed:
                self.slate_text = text

    def add_chapter(self, title: str, at: dt.datetime | str | None = None, *, kind: str = "item") -> None:
        """Mark `title` at `at`, the log event's own timestamp (now if not given); it is placed
        on the recording timeline through the segments' PROGRAM-DATE-TIME. `kind` is "item" (an
        agenda item) or "speech" (a speech within the item before it)."""
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        at = at or dt.datetime.now(dt.UTC)
        with self._lock:
            self._chapters.append((at, title, kind))
        self._append_record(CHAPTERS_LOG, {"at": at.isoformat(), "title": title, "kind": kind})
        self._write_chapters()

    def add_sink(self, sink: PacketSink) -> None:
        with self._lock:
            self._sinks.append(sink)
            self._keyframe_requested = True  # a new viewer needs a picture to start from

    def remove_sink(self, sink: PacketSink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def request_keyframe(self) -> None:
        with self._lock:
            self._keyframe_requested = True

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._load_state()
        self._thread = threading.Thread(target=self._run, name=f"composer-{self.meeting_id}", daemon=True)
        self._thread.start()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def stop(self) -> None:
        for task in self._readers.values():
            task.cancel()
        self._stop.set()
        if self._thread:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 10)
        self._write_playlists(ended=True)
        self._write_chapters()
        with self._lock:
            sinks, self._sinks = list(self._sinks), []
        for sink in sinks:
            sink.composer_stopped()

    def _report(self, up: bool, reason: str) -> None:
        if up != self.up:
            self.up = up
            if self.on_state:
                try:
                    self.on_state(up, reason)
                except Exception:
                    log.exception("stream state callback failed")

    # Persistence across restarts ------------------------------------------------------------

    def _load_state(self) -> None:
        for stale in [*self.out_dir.glob("*.tmp"), *self.out_dir.glob("part_*.ts")]:
            stale.unlink(missing_ok=True)  # a segment a crashed run never finished; parts of an old live edge
        existing = [int(p.name[4:9]) for p in self.out_dir.glob("seg_*.ts") if p.name[4:9].isdigit()]
        self._segments = [{**e, "start": dt.datetime.fromisoformat(e["start"])}
                          for e in self._read_records(SEGMENTS_LOG) if (self.out_dir / e["name"]).is_file()]
        self._chapters = [(dt.datetime.fromisoformat(c["at"]), c["title"], c.get("kind", "item"))
                          for c in self._read_records(CHAPTERS_LOG)]
        self._epoch = max([-1, *(e["epoch"] for e in self._segments)]) + 1
        # Never reuse a number: an immutable segment may already sit in a CDN under that name.
        self._seq = max([0, *existing, *(e["seq"] for e in self._segments)])

    def _read_records(self, name: str) -> list[dict[str, Any]]:
        try:
            lines = (self.out_dir / name).read_text().splitlines()
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:  # a line cut short by a crash
                log.warning("skipping a damaged line of %s for meeting %s", name, self.meeting_id)
        return records

    def _append_record(self, name: str, record: dict[str, Any]) -> None:
        # Append-only, one line per segment or chapter: constant work per segment however long
        # the meeting, and a crash loses at most the line being written.
        with (self.out_dir / name).open("a") as f:
            f.write(json.dumps(record) + "\n")

    # The composer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._encode_until_stopped()
            except Exception as exc:  # report, wait, retry: the meeting goes on without the stream
                log.exception("composer of meeting %s failed", self.meeting_id)
                self._report(False, f"encoder error: {exc.__class__.__name__}")
                self._epoch += 1  # new encoders: the playlists mark the discontinuity
                self._stop.wait(1.0)

    def _encode_until_stopped(self) -> None:
        encoders = StreamEncoders(width=self.width, height=self.height, fps=self.fps,
                                  video_bitrate=self.video_bitrate)
        samples_per_tick = SAMPLE_RATE // self.fps
        first_tick = tick = PTS_ORIGIN_SECONDS * self.fps
        epoch_wall, epoch_mono = time.time(), time.monotonic()
        segment: _Segment | None = None
        closing: _Segment | None = None  # cut, waiting for the AAC packets of its last samples
        part: _Segment | None = None  # the partial segment in progress, within `segment`
        closing_part: _Segment | None = None
        try:
            while not self._stop.is_set():
                with self._lock:
                    closed = self.gate_closed
                if segment is not None and (segment.frames >= self.frames_per_segment or segment.open_part == closed):
                    if closing_part is not None:
                        self._close_part(closing_part, publish=closing is None)
                    if closing is not None:
                        self._close_segment(closing)
                    # Full, or the gate moved: cut here, the part in progress with it. AAC lags its
                    # input by a frame or two, so the old segment (and its last part) stays open
                    # until the packets of its last samples are out.
                    closing, segment = segment, None
                    closing_part, part = part, None
                elif part is not None and part.frames >= self.frames_per_part:
                    if closing_part is not None:
                        self._close_part(closing_part, publish=closing is None)
                    closing_part, part = part, None
                if segment is None:
                    start = dt.datetime.fromtimestamp(epoch_wall + (tick - first_tick) / self.fps, dt.UTC)
                    segment = self._open_segment(encoders, tick, start, open_part=not closed)
                if part is None:
                    part = self._open_part(encoders, segment, tick)
                done = self._encode_tick(encoders, (segment, part), (closing, closing_part), tick,
                                         samples_per_tick, keyframe=segment.frames == 0)
                if done and closing_part is not None:
                    self._close_part(closing_part, publish=closing is None)
                    closing_part = None
                if done and closing is not None:
                    self._close_segment(closing)
                    closing = None
                segment.frames += 1
                part.frames += 1
                self._report(True, "")
                tick += 1
                delay = epoch_mono + (tick - first_tick) / self.fps - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)  # ticks stay on the wall clock (PDT = epoch + PTS)
                elif delay < -1.0:
                    # Fell behind (overload): skip ahead, never build a backlog. The PTS jump keeps
                    # timestamps equal to wall time, so PROGRAM-DATE-TIME stays true.
                    tick = first_tick + int((time.monotonic() - epoch_mono) * self.fps)
            if segment is not None and part is not None:
                video, audio = encoders.flush()
                self._mux((segment, part), video, [])
                self._route_audio(audio, (segment, part), (closing, closing_part))
                self._writing = None
                for last_part in (closing_part, part):
                    if last_part is not None:
                        self._close_part(last_part, publish=False)
                if closing is not None:
                    self._close_segment(closing)
                self._close_segment(segment)
                segment = closing = part = closing_part = None
        finally:
            # An encoder error: never publish a broken segment or part.
            for unfinished in (closing_part, part, closing, segment):
                if unfinished is not None:
                    self._discard(unfinished)
            with self._lock:
                self._pending, self._writing = None, None
            encoders.close()

    def _open_segment(self, encoders: StreamEncoders, tick: int, start: dt.datetime, *, open_part: bool) -> _Segment:
        self._seq += 1
        while (self.out_dir / f"seg_{self._seq:05d}.ts").exists():
            self._seq += 1
        path = self.out_dir / f"seg_{self._seq:05d}.ts.tmp"
        container = av.open(str(path), mode="w", format="mpegts")
        with self._lock:
            self._pending = {"seq": self._seq, "start": start, "epoch": self._epoch}
        return _Segment(seq=self._seq, path=path, container=container, streams=encoders.add_to(container),
                        first_tick=tick, start=start, open_part=open_part)

    def _open_part(self, encoders: StreamEncoders, segment: _Segment, tick: int) -> _Segment:
        name = playlists.part_name(segment.seq, segment.parts)
        segment.parts += 1
        path = self.out_dir / f"{name}.tmp"
        container = av.open(str(path), mode="w", format="mpegts")
        part = _Segment(seq=segment.seq, path=path, container=container, streams=encoders.add_to(container),
                        first_tick=tick, start=segment.start, open_part=segment.open_part)
        part.parts = segment.parts - 1  # its own index within the segment
        with self._lock:
            self._writing = name
        return part

    def _route_audio(self, packets: list[av.Packet], current: tuple[_Segment, _Segment],
                     closing: tuple[_Segment | None, _Segment | None]) -> bool:
        """Mux AAC packets into the segment and the part their timestamp belongs to; True once a
        packet of the current part came out, i.e. the closing part (and segment) is complete."""
        done = False
        for packet in packets:
            targets = []
            for now, before in zip(current, closing, strict=True):
                boundary = now.first_tick * (SAMPLE_RATE // self.fps)
                late = before is not None and packet.pts is not None and packet.pts < boundary
                targets.append(before if late and before is not None else now)
            done = done or targets[1] is current[1]
            self._mux(tuple(targets), [], [packet])
        return done

    def _mux(self, into: tuple[_Segment, ...], video: list[av.Packet], audio: list[av.Packet]) -> None:
        # The same packet goes into a segment and into a part; every container has the same time
        # base (MPEG-TS, 1/90000), so the in-place rescaling of the first mux holds for the second.
        for target in into:
            for packet in video:
                packet.stream = target.video
                target.container.mux(packet)
            for packet in audio:
                packet.stream = target.audio
                target.container.mux(packet)

    def _close_segment(self, segment: _Segment) -> None:
        segment.container.close()
        final = segment.path.with_suffix("")  # seg_00001.ts
        os.replace(segment.path, final)
        entry = {"name": final.name, "seq": segment.seq, "duration": segment.frames / self.fps,
                 "start": segment.start, "open": segment.open_part, "epoch": self._epoch}
        stale = [seq for seq in self._parts if seq <= segment.seq - PART_FILES_KEPT_SEGMENTS]
        with self._lock:
            self._segments.append(entry)
            if self._pending is not None and self._pending["seq"] == segment.seq:
                self._pending = None
            old_parts = [p for seq in stale for p in self._parts.pop(seq, [])]
        self._append_record(SEGMENTS_LOG, {**entry, "start": segment.start.isoformat()})
        self._write_playlists()
        self._write_chapters()
        for old in old_parts:  # long out of the playlist: a player a whole window behind loads segments
            (self.out_dir / old["name"]).unlink(missing_ok=True)

    def _close_part(self, part: _Segment, *, publish: bool) -> None:
        """Publish a complete part. The last part of a segment is listed by the segment's own
        close (`publish=False`), so a player never sees a playlist without the parts before it."""
        part.container.close()
        final = part.path.with_suffix("")
        os.replace(part.path, final)
        with self._lock:
            self._parts.setdefault(part.seq, []).append(
                {"name": final.name, "duration": part.frames / self.fps, "independent": part.parts == 0})
        if publish:
            self._write_live_playlist()

    @staticmethod
    def _discard(segment: _Segment) -> None:
        try:
            segment.container.close()
        except Exception:  # it failed once already; the file goes either way
            pass
        segment.path.unlink(missing_ok=True)

    def _picture(self, closed: bool, slate: str | None) -> av.VideoFrame:
        with self._lock:
            frame = None if closed or slate else self._video_frame
        if frame is not None:
            return frame.reformat(width=self.width, height=self.height, format="yuv420p")
        text = slate or waiting_slate()
        cached = self._slates.get(text)
        if cached is None:
            rgb = slate_rgb(text, self.width, self.height)
            cached = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            self._slates = {text: cached}  # one slate at a time; a new text replaces it
        return cached

    def _encode_tick(self, encoders: StreamEncoders, into: tuple[_Segment, _Segment],
                     before: tuple[_Segment | None, _Segment | None], tick: int, samples: int, *,
                     keyframe: bool) -> bool:
        with self._lock:
            closed = self.gate_closed  # read once: picture and sound of a tick agree
            slate = self.slate_text
            sinks = list(self._sinks)
            now = time.monotonic()
            if self._keyframe_requested and now - self._last_forced_keyframe >= KEYFRAME_REQUEST_INTERVAL:
                keyframe, self._keyframe_requested = True, False
            if keyframe:
                self._last_forced_keyframe = now
        segment, part = into
        closing, closing_part = before
        picture = self._picture(closed, slate)
        pcm = np.zeros(samples, dtype=np.float32)
        if not closed:
            for buf in list(self._audio.values()):
                pcm += buf.take(samples)
        video = encoders.encode_video(picture, pts=tick, keyframe=keyframe)
        audio_pts = tick * samples
        aac = encoders.encode_aac(pcm, pts=audio_pts)
        # Viewers get their own packet objects: muxing rescales a packet's timestamps in place.
        for packet in video if sinks else []:
            copy = av.Packet(bytes(packet))
            copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
            copy.is_keyframe = packet.is_keyframe
            for sink in sinks:
                sink.video_packet(copy)
        if sinks:  # Opus is only for WebRTC viewers: no viewer, no encode
            for packet in encoders.encode_opus(pcm, pts=audio_pts):
                for sink in sinks:
                    sink.audio_packet(packet)
        self._mux(into, video, [])
        return self._route_audio(aac, into, before)

    # Playlists --------------------------------------------------------------------------------

    def _write(self, name: str, text: str) -> None:
        # One temporary file per thread: the chapters are rewritten from the event loop (a new
        # chapter) and from the composer thread (a new segment).
        tmp = self.out_dir / f".{name}.{threading.get_ident()}.tmp"
        tmp.write_text(text)
        os.replace(tmp, self.out_dir / name)

    def _write_live_playlist(self, ended: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            segments = list(self._segments)
            parts = {seq: list(p) for seq, p in self._parts.items()}
            pending = dict(self._pending) if self._pending else None
            writing = self._writing
        first = max(0, len(segments) - self.window)
        self._write("index.m3u8", playlists.media_playlist(
            segments[first:], kind=None, ended=ended,
            discontinuity_sequence=playlists.discontinuities_before(segments, first),
            parts=parts, part_target=self.part_target, pending=pending, hint=writing))
        return segments

    def _write_playlists(self, ended: bool = False) -> None:
        segments = self._write_live_playlist(ended)
        recording = [e for e in segments if e["open"]]
        self._write("recording.m3u8", playlists.recording_playlist(recording, ended=ended))

    def _write_chapters(self) -> None:
        with self._lock:
            chapters = list(self._chapters)
            recording = [e for e in self._segments if e["open"]]
        self._write("chapters.vtt", playlists.chapters_vtt(chapters, recording))

    @property
    def segments(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._segments)

    @property
    def recording(self) -> list[dict[str, Any]]:
        return [e for e in self.segments if e["open"]]

    @property
    def chapters(self) -> list[tuple[float, str]]:
        """(offset on the recording timeline in seconds, title), in time order."""
        with self._lock:
            chapters = sorted(self._chapters, key=lambda c: c[0])
        recording = self.recording
        return [(playlists.recording_offset(recording, at), title) for at, title, _kind in chapters]
