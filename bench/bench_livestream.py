"""Public stream bench: composer CPU, HLS latency, the doors-closed cut, HLS requests per second.

    .venv/bin/python bench/bench_livestream.py        # ~4 minutes, prints markdown tables

Sources are synthetic decoded tracks in this process (a moving 640x480 picture at 30 fps and a
1 kHz tone in 20 ms frames, the shape the member SFU's decoder hands the composer), so the numbers
are the composer's own cost: decode happens upstream, once per floor holder.

* CPU of one composer at 640x360 and 1280x720 (15 fps, 1 s segments): process CPU with the
  composer running minus process CPU with the same sources drained and no composer.
* HLS availability latency: the tone starts at a known instant; the time until a segment holding
  it is listed in index.m3u8. A player adds its own buffer (hls.js starts about three segments
  behind the live edge), so glass-to-glass is about that plus 3 x the segment length.
* Doors closed: the time from `set_gate(closed)` to the end of the segment in progress (the cut),
  and a check by FFT that no segment begun after the gate holds the tone (past the encoder's
  delayed tail of pre-gate audio in its first 100 ms).
* HLS requests per second served by the embedded daphne (16 keep-alive connections), for the
  live playlist and for a segment. Production puts these files behind an HTTP cache or CDN.
* WebRTC viewers: one composer (640x360, 15 fps) and its `ViewerHub` serve N = 1, 10, 20 aiortc
  viewers that run in a second process (multiprocessing, spawn), so this process's CPU is the
  server's alone: CPU per viewer = (CPU with N viewers - CPU with none) / N, and viewers per core
  derived from it. The viewer process decodes Opus but only counts H.264 frames (a pass-through
  decoder), so 20 viewers' decoding does not compete for the two cores with the server.
* Doors closed → first silent sample at a WebRTC viewer (target < 250 ms): the gate closes while
  the tone plays; the viewer process stamps each decoded 20 ms Opus frame with the wall clock and
  reports the first one without the tone, 5 times; any tone frame after it while closed is a leak.

    .venv/bin/python bench/bench_livestream.py --only webrtc   # just the two WebRTC sections (~1.5 min)
"""

from __future__ import annotations

import asyncio
import fractions
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.loopback import free_port, http_rate, wait_for_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

from livestream.composer import Composer

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
RATE = 48000
TONE_HZ = 1000.0
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


class PictureTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, width: int = 640, height: int = 480, fps: int = 30) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.n = 0
        self.t0 = time.monotonic()
        base = np.zeros((height, width, 3), dtype=np.uint8)
        base[:, :, 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
        self.base = base

    async def recv(self) -> av.VideoFrame:
        self.n += 1
        delay = self.t0 + self.n / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        img = np.roll(self.base, self.n * 4, axis=1)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = self.n * 3000, fractions.Fraction(1, 90000)
        return frame


class ToneTrack(MediaStreamTrack):
    """20 ms mono frames; a 1 kHz tone while `on`, silence otherwise."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.on = True
        self.n = 0
        self.t0 = time.monotonic()

    async def recv(self) -> av.AudioFrame:
        self.n += 1
        delay = self.t0 + self.n * 0.02 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        samples = 960
        if self.on:
            t = (np.arange(samples) + self.n * samples) / RATE
            pcm = (0.3 * np.sin(2 * np.pi * TONE_HZ * t) * 32767).astype(np.int16)
        else:
            pcm = np.zeros(samples, dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self.n * samples, fractions.Fraction(1, RATE)
        return frame


def tone_ratio(pcm: np.ndarray) -> float:
    """Energy at TONE_HZ relative to all energy (0 = silence or no tone, about 1 = pure tone)."""
    if len(pcm) < 480 or not np.any(pcm):
        return 0.0
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm)))) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / RATE)
    band = (freqs > TONE_HZ - 30) & (freqs < TONE_HZ + 30)
    return float(spectrum[band].sum() / spectrum.sum())


def decode_audio(path: Path) -> np.ndarray:
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks.append(frame.to_ndarray().astype(np.float32).reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def listed(out: Path) -> list[str]:
    try:
        return re.findall(r"^(seg_\d+\.ts)$", (out / "index.m3u8").read_text(), flags=re.MULTILINE)
    except FileNotFoundError:
        return []


async def drain(track: MediaStreamTrack, until: float) -> None:
    while time.monotonic() < until:
        await track.recv()


async def cpu_of_composer(width: int, height: int) -> dict[str, float]:
    video, audio = PictureTrack(), ToneTrack()
    # Baseline: the same sources, drained, no composer.
    c0, w0 = time.process_time(), time.monotonic()
    await asyncio.gather(drain(video, w0 + 4), drain(audio, w0 + 4))
    baseline = (time.process_time() - c0) / (time.monotonic() - w0)

    with tempfile.TemporaryDirectory() as tmp:
        composer = Composer(1, Path(tmp), width=width, height=height, fps=15, segment_seconds=1.0)
        video, audio = PictureTrack(), ToneTrack()
        composer.set_sources([audio], video)
        composer.start()
        await asyncio.sleep(2.0)  # warm-up: encoder start, first segments
        c0, w0 = time.process_time(), time.monotonic()
        await asyncio.sleep(SECONDS)
        cpu = (time.process_time() - c0) / (time.monotonic() - w0)
        segments = len(list(Path(tmp).glob("seg_*.ts")))
        await composer.stop()
    return {"cpu": cpu - baseline, "baseline": baseline, "segments": segments}


async def hls_latency_and_cut() -> dict[str, list[float] | int]:
    """Tone onsets vs their listing in index.m3u8; then doors-closed cuts and an FFT leak check."""
    availability: list[float] = []
    cuts: list[float] = []
    leaks = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        composer = Composer(1, out, width=640, height=360, fps=15, segment_seconds=1.0)
        video, audio = PictureTrack(), ToneTrack()
        audio.on = False
        composer.set_sources([audio], video)
        composer.start()
        await asyncio.sleep(2.5)
        for _ in range(5):
            already = set(listed(out))
            audio.on = True
            onset = time.monotonic()
            found = None
            while found is None and time.monotonic() - onset < 6:
                await asyncio.sleep(0.02)
                for name in listed(out):
                    if name not in already:
                        already.add(name)
                        if tone_ratio(decode_audio(out / name)) > 0.3:
                            found = time.monotonic()
                            break
            if found is not None:
                availability.append(found - onset)
            await asyncio.sleep(1.0)
            audio.on = False
            await asyncio.sleep(1.5)

        # The doors close while the tone plays: the segment in progress must end at once.
        audio.on = True
        for _ in range(5):
            await asyncio.sleep(1.3)
            before = set(listed(out))
            gate_at = time.monotonic()
            composer.set_gate(True, "Møtet er lukket for publikum")
            while time.monotonic() - gate_at < 3:
                new = [n for n in listed(out) if n not in before]
                if new:
                    cuts.append(time.monotonic() - gate_at)
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(1.5)  # closed: every segment begun now must be silent
            closed_names = [n for n in listed(out) if n not in before][1:]
            # The first 100 ms may hold the encoder's delayed tail of audio from *before* the gate
            # (AAC works in 1024-sample frames); anything after that would be closed-doors audio.
            leaks += sum(tone_ratio(decode_audio(out / n)[RATE // 10:]) > 0.01 for n in closed_names)
            composer.set_gate(False)
        await composer.stop()
    return {"availability": availability, "cuts": cuts, "leaks": leaks}


async def hls_requests_per_second() -> dict[str, tuple[float, dict[str, int]]]:
    tmp = Path(tempfile.mkdtemp())
    try:
        out = tmp / "live" / "1"
        composer = Composer(1, out, width=640, height=360, fps=15, segment_seconds=1.0)
        video, audio = PictureTrack(), ToneTrack()
        composer.set_sources([audio], video)
        composer.start()
        await asyncio.sleep(4)
        await composer.stop()
        segment = sorted(out.glob("seg_*.ts"))[1].name
        size = (out / segment).stat().st_size
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(SQLITE_PATH=str(tmp / "db.sqlite3"), LIVESTREAM_ROOT=str(tmp / "live"), DEBUG="0",
                   SECRET_KEY="bench-only-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
                   LIVESTREAM_ENABLED="0", MEDIA_IN_PROCESS="0")
        port = free_port()
        daphne = [PY, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "asgi:application"]
        # A blocking start is fine here: once, before anything is measured.
        proc = subprocess.Popen(daphne,  # noqa: ASYNC220
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await asyncio.to_thread(wait_for_port, port)
            return {"index.m3u8": await http_rate(port, "/live/1/index.m3u8"),
                    f"{segment} ({size // 1024} KiB)": await http_rate(port, f"/live/1/{segment}")}
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# WebRTC viewers: the viewers' process ---------------------------------------------------------

SILENT = 0.01  # tone amplitude (full scale 1) below which a 20 ms frame counts as silent; the tone is 0.3


def tone_amplitude(pcm: np.ndarray) -> float:
    if len(pcm) == 0:
        return 0.0
    w = np.hanning(len(pcm))
    t = np.arange(len(pcm)) / RATE
    return float(2 * abs(np.sum(pcm * w * np.exp(-2j * np.pi * TONE_HZ * t))) / w.sum())


class CountingDecoder:
    """Stands in for the viewers' H.264 decoder: counts frames and decodes nothing."""

    made: ClassVar[list[CountingDecoder]] = []

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0
        CountingDecoder.made.append(self)

    def decode(self, encoded_frame: object) -> list[object]:
        self.frames += 1
        self.bytes += len(encoded_frame.data)  # type: ignore[attr-defined]
        return []


def _passthrough_video_decoders() -> None:
    import aiortc.rtcrtpreceiver as receiver

    stock = receiver.get_decoder
    receiver.get_decoder = lambda codec: CountingDecoder() if codec.mimeType.lower().startswith("video/") \
        else stock(codec)


class BenchViewer:
    """A recvonly aiortc viewer; decoded audio frames as (wall time, tone amplitude)."""

    def __init__(self) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection

        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.audio: list[tuple[float, float]] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", lambda track: self.tasks.append(asyncio.ensure_future(self.consume(track))))

    async def consume(self, track: MediaStreamTrack) -> None:
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                frame = await track.recv()
                pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                self.audio.append((time.time(), tone_amplitude(pcm.astype(np.float32) / 32768.0)))
        except MediaStreamError:
            pass

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()


async def _viewers_main(conn: object) -> None:
    from aiortc import RTCSessionDescription

    from conference.config import patch_host_addresses

    patch_host_addresses()
    _passthrough_video_decoders()
    loop = asyncio.get_running_loop()
    viewers: list[BenchViewer] = []
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)  # type: ignore[attr-defined]
        reply: object = None
        if command == "open":
            CountingDecoder.made.clear()
            viewers = [BenchViewer() for _ in range(arg)]
            offers = []
            for v in viewers:
                await v.pc.setLocalDescription(await v.pc.createOffer())
                offers.append(v.pc.localDescription.sdp)
            reply = offers
        elif command == "answers":
            for v, sdp in zip(viewers, arg, strict=True):
                await v.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        elif command == "counts":  # frames received so far, per viewer
            reply = ([len(v.audio) for v in viewers], [d.frames for d in CountingDecoder.made],
                     sum(d.bytes for d in CountingDecoder.made))
        elif command == "tone":  # does the first viewer hear the tone now?
            recent = [a for t, a in viewers[0].audio if t >= time.time() - 0.3]
            reply = bool(recent) and min(recent) > 0.1
        elif command == "cut":  # the first silent frame after the gate closed at `arg`, and leaks after it
            after = [(t, a) for t, a in viewers[0].audio if t >= arg]
            first = next((t for t, a in after if a < SILENT), None)
            leaks = sum(1 for t, a in after if first is not None and t > first and a >= SILENT)
            reply = (first, leaks)
        elif command == "close":
            for v in viewers:
                await v.close()
            viewers = []
        elif command == "exit":
            conn.send(None)  # type: ignore[attr-defined]
            return
        conn.send(reply)  # type: ignore[attr-defined]


def viewers_process(conn: object) -> None:
    asyncio.run(_viewers_main(conn))


# WebRTC viewers: the server side (this process) -------------------------------------------------


class ViewerProcess:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads and a loop
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=viewers_process, args=(child,), daemon=True)
        self.proc.start()

    async def ask(self, command: str, arg: object = None) -> object:
        self.conn.send((command, arg))
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def stop(self) -> None:
        await self.ask("exit")
        self.proc.join(10)


async def until(predicate_async, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate_async():
            return True
        await asyncio.sleep(step)
    return False


async def connect_viewers(hub: object, viewers: ViewerProcess, n: int) -> int:
    """N viewers through the hub; returns how many connected."""
    offers = await viewers.ask("open", n)
    answers = [await hub.add(sdp) for sdp in offers]  # type: ignore[attr-defined]
    await viewers.ask("answers", answers)

    async def all_connected() -> bool:
        return sum(v.pc.connectionState == "connected" for v in hub.viewers) == n  # type: ignore[attr-defined]

    await until(all_connected, 30)
    return sum(v.pc.connectionState == "connected" for v in hub.viewers)  # type: ignore[attr-defined]


async def disconnect_viewers(hub: object, viewers: ViewerProcess) -> None:
    for viewer in list(hub.viewers):  # type: ignore[attr-defined]
        await hub.remove(viewer)  # type: ignore[attr-defined]
    await viewers.ask("close")


def rate_of(before: list[int], after: list[int]) -> float:
    """Frames per second of the slowest viewer over the measuring window."""
    if not after or len(before) != len(after):
        return 0.0
    return min(b - a for a, b in zip(before, after, strict=True)) / SECONDS


async def webrtc_viewers(counts: tuple[int, ...] = (1, 10, 20), reps: int = 5) -> dict[str, object]:
    import logging

    from conference.config import patch_host_addresses
    from livestream.webrtc import ViewerHub

    logging.getLogger("aioice").setLevel(logging.WARNING)  # one line per candidate pair otherwise
    patch_host_addresses()
    rows: dict[int, dict[str, float]] = {}
    cuts: list[float] = []
    leaks = 0
    viewers = ViewerProcess()
    with tempfile.TemporaryDirectory() as tmp:
        composer = Composer(1, Path(tmp), width=640, height=360, fps=15, segment_seconds=1.0)
        video, audio = PictureTrack(), ToneTrack()
        composer.set_sources([audio], video)
        composer.start()
        hub = ViewerHub(1, composer)
        try:
            await asyncio.sleep(2.0)
            for n in (0, *counts):
                connected = await connect_viewers(hub, viewers, n) if n else 0
                await asyncio.sleep(2.0)  # past ICE/DTLS and the first keyframe
                audio0, video0, bytes0 = await viewers.ask("counts")
                c0, w0 = time.process_time(), time.monotonic()
                await asyncio.sleep(SECONDS)
                cpu = (time.process_time() - c0) / (time.monotonic() - w0)
                audio1, video1, bytes1 = await viewers.ask("counts")
                rows[n] = {"cpu": cpu, "connected": connected,
                           "audio_fps": rate_of(audio0, audio1), "video_fps": rate_of(video0, video1),
                           "video_kbps": (bytes1 - bytes0) * 8 / 1000 / SECONDS / max(1, n)}
                if n:
                    await disconnect_viewers(hub, viewers)
                    await asyncio.sleep(1.0)

            # Doors closed while the tone plays → the first silent frame at a viewer.
            await connect_viewers(hub, viewers, 1)
            for _ in range(reps):
                await until(lambda: viewers.ask("tone"), 10)
                await asyncio.sleep(0.5)
                closed_at = time.time()
                composer.set_gate(True, "Møtet er lukket for publikum")
                await asyncio.sleep(1.5)
                first, leaked = await viewers.ask("cut", closed_at)
                if first is not None:
                    cuts.append(first - closed_at)
                leaks += leaked
                composer.set_gate(False)
            await disconnect_viewers(hub, viewers)
        finally:
            await hub.close()
            await composer.stop()
            await viewers.stop()
    return {"rows": rows, "cuts": cuts, "leaks": leaks, "reps": reps}


def print_webrtc(result: dict[str, object]) -> None:
    rows: dict[int, dict[str, float]] = result["rows"]  # type: ignore[assignment]
    base = rows[0]["cpu"]
    print("\nWebRTC viewers of one composer (640x360, 15 fps; viewers in a second process; "
          f"{SECONDS:.0f} s window; 100 % = one core):\n")
    print("| viewers | connected | server CPU | added by viewers | per viewer | viewers per core | "
          "audio frames/s (min) | video frames/s (min) | H.264 kbit/s per viewer |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, row in rows.items():
        added = row["cpu"] - base
        per = added / n if n else float("nan")
        per_core = f"{1 / per:.0f}" if n and per > 0 else "–"
        print(f"| {n} | {row['connected']:.0f} | {row['cpu']*100:.1f} % | {added*100:.1f} % | "
              f"{per*100:.2f} % | {per_core} | {row['audio_fps']:.0f} | {row['video_fps']:.1f} | "
              f"{row['video_kbps']:.0f} |"
              if n else f"| 0 (composer alone) | – | {row['cpu']*100:.1f} % | – | – | – | – | – | – |")
    # The per-row figures carry the composer's own jitter (about ±1.5 % of a core between rows);
    # the least-squares slope over all rows is the steadier cost of one more viewer.
    ns = np.array(list(rows), dtype=float)
    slope = float(np.polyfit(ns, [row["cpu"] for row in rows.values()], 1)[0])
    per_core = f"about {1 / slope:.0f} viewers per core" if slope > 0 else "not measurable"
    print(f"\nCost of one more viewer (least-squares slope over 0..{int(ns.max())} viewers): "
          f"{slope*100:.2f} % of a core, {per_core} (packet work on the composer process's one event loop; "
          "the cap "
          "LIVESTREAM_MAX_WEBRTC_VIEWERS defaults to 20).")
    cuts: list[float] = result["cuts"]  # type: ignore[assignment]
    print("\nDoors closed → first silent sample at a WebRTC viewer (tone playing; 20 ms Opus frames):\n")
    print("| measure | n | p50 | max | target |")
    print("|---|---:|---:|---:|---|")
    if cuts:
        print(f"| set_gate(closed) → first decoded frame without the tone | {len(cuts)}/{result['reps']} "
              f"| {statistics.median(cuts)*1000:.0f} ms | {max(cuts)*1000:.0f} ms | < 250 ms |")
    else:
        print(f"| set_gate(closed) → first decoded frame without the tone | 0/{result['reps']} | – | – "
              "| < 250 ms |")
    print("\nTone frames at the viewer after its first silent one while the doors were closed: "
          f"{result['leaks']} (must be 0).")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def print_load(load_before: float, started: float) -> None:
    print(f"\nLoad average (1 min) before the run: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}. "
          f"Bench runtime {time.monotonic() - started:.0f} s.")


async def main() -> None:
    import django

    django.setup()
    started, load_before = time.monotonic(), os.getloadavg()[0]
    if "--only" in sys.argv and sys.argv[-1] == "webrtc":
        print_webrtc(await webrtc_viewers())
        print_load(load_before, started)
        return
    cpu = {size: await cpu_of_composer(*size) for size in ((640, 360), (1280, 720))}
    timing = await hls_latency_and_cut()
    rates = await hls_requests_per_second()
    webrtc = await webrtc_viewers()

    print(f"\nComposer CPU ({os.cpu_count()} cores; 100 % = one core; 15 fps, H.264 veryfast + AAC, 1 s segments; "
          f"{SECONDS:.0f} s window):\n")
    print("| output | composer CPU | sources alone (not counted) | segments written |")
    print("|---|---:|---:|---:|")
    for (w, h), row in cpu.items():
        print(f"| {w}x{h} | {row['cpu']*100:.1f} % | {row['baseline']*100:.1f} % | {row['segments']} |")
    avail, cuts = timing["availability"], timing["cuts"]
    print("\nHLS timing (640x360, 1 s segments):\n")
    print("| measure | n | p50 | max |")
    print("|---|---:|---:|---:|")
    if avail:
        print(f"| tone onset → segment listed in index.m3u8 | {len(avail)} | {statistics.median(avail)*1000:.0f} ms "
              f"| {max(avail)*1000:.0f} ms |")
        est = statistics.median(avail) + 3 * 1.0
        print(f"| estimated glass-to-glass in hls.js (listing + 3 segments of buffer) | – | {est:.1f} s | – |")
    if cuts:
        print(f"| doors closed → segment in progress cut and listed | {len(cuts)} | "
              f"{statistics.median(cuts)*1000:.0f} ms "
              f"| {max(cuts)*1000:.0f} ms |")
    print(f"\nSegments begun after the doors closed that held the tone (FFT): {timing['leaks']} (must be 0).")
    print("\nHLS served by one embedded daphne (16 keep-alive connections, 4 s):\n")
    print("| file | requests/s | statuses |")
    print("|---|---:|---|")
    for name, (rate, statuses) in rates.items():
        print(f"| {name} | {rate:.0f} | {statuses} |")
    print("\nIn production the playlists (max-age=1) and segments (immutable) are served by an HTTP cache or CDN.")
    print_webrtc(webrtc)
    print_load(load_before, started)


if __name__ == "__main__":
    asyncio.run(main())
