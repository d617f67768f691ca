"""Public stream bench: composer CPU, HLS latency, the doors-closed cut, HLS requests per second.

    .venv/bin/python bench/bench_livestream.py        # ~2 minutes, prints markdown tables

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
"""

from __future__ import annotations

import asyncio
import fractions
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import av  # noqa: E402
import numpy as np  # noqa: E402
from aiortc.mediastreams import MediaStreamTrack  # noqa: E402

from livestream.composer import Composer  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
RATE = 48000
TONE_HZ = 1000.0
SECONDS = float(os.environ.get("BENCH_SECONDS", 10))


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
        return re.findall(r"^(seg_\d+\.ts)$", (out / "index.m3u8").read_text(), flags=re.M)
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_rate(port: int, path: str, seconds: float = 4.0, conns: int = 16) -> tuple[float, dict[str, int]]:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    count, statuses = 0, {}
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                writer.write(request)
                status = (await reader.readline()).split()[1].decode()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    key, _, value = line.decode().partition(":")
                    if key.lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                statuses[status] = statuses.get(status, 0) + 1
                count += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return count / (time.perf_counter() - t0), statuses


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
        proc = subprocess.Popen([PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.2)
            return {"index.m3u8": await http_rate(port, "/live/1/index.m3u8"),
                    f"{segment} ({size // 1024} KiB)": await http_rate(port, f"/live/1/{segment}")}
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def main() -> None:
    import django

    django.setup()
    started = time.monotonic()
    cpu = {size: await cpu_of_composer(*size) for size in ((640, 360), (1280, 720))}
    timing = await hls_latency_and_cut()
    rates = await hls_requests_per_second()

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
        print(f"| doors closed → segment in progress cut and listed | {len(cuts)} | {statistics.median(cuts)*1000:.0f} ms "
              f"| {max(cuts)*1000:.0f} ms |")
    print(f"\nSegments begun after the doors closed that held the tone (FFT): {timing['leaks']} (must be 0).")
    print("\nHLS served by one embedded daphne (16 keep-alive connections, 4 s):\n")
    print("| file | requests/s | statuses |")
    print("|---|---:|---|")
    for name, (rate, statuses) in rates.items():
        print(f"| {name} | {rate:.0f} | {statuses} |")
    print("\nIn production the playlists (max-age=1) and segments (immutable) are served by an HTTP cache or CDN.")
    print(f"\nLoad average after the run: {os.getloadavg()[0]:.2f}. Bench runtime {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    asyncio.run(main())
