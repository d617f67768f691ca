"""Glass to glass in a real player: ordinary HLS, Low-Latency HLS and the WebRTC viewer, side by side.

    .venv/bin/python bench/bench_glass.py            # ~2 minutes; BENCH_GLASS_SECONDS (default 20)
    BENCH_GLASS_PART_SECONDS=0.2 .venv/bin/python bench/bench_glass.py   # another part length

The whole platform on loopback: daphne (media in process, the production stream settings:
640x360, 15 fps, 1 s segments, 1/3 s parts) on a fresh SQLite file with the demo council, and
Debian's headless Chromium.

* The member is the chair in Chromium. Its camera is a canvas (the page's getUserMedia is replaced
  before the room's scripts run) that shows the sender's clock, Date.now() in ms modulo 2^24, as
  two rows of 24 black or white blocks, the second row the inverse of the first. Each drawing is
  handed to the camera track at once (`requestFrame`), so a frame's clock is its capture time.
  The chair's picture goes the members' way (VP8 to the SFU, decoded) into the public mix
  (H.264), as with nobody on the floor.
* Three public pages play the same meeting at the same time: `?hls=standard` (hls.js, two
  segments behind), the default page (hls.js in low-latency mode), and the default page with the
  low-latency switch on (WebRTC). On every decoded frame (`requestVideoFrameCallback`) a page
  draws the <video> into a canvas, reads the blocks back, and keeps the frame only if the two rows
  agree; latency = the frame's expected display time (performance.timeOrigin + expectedDisplayTime)
  minus the clock in it. One browser process, one machine clock.
* Each player first reaches steady playback; then every player is measured over the same
  BENCH_GLASS_SECONDS: p50 and p95, frames read, frames whose code did not read cleanly, and for
  HLS how far the player is behind the newest media it knows of (the end of the seekable range,
  which hls.js keeps at the playlist's end): glass to glass minus that is what it took the frame to
  be captured, mixed, encoded and published.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.loopback import free_port, wait_for_port  # noqa: E402
from tests.browser.helpers import formannskap_meeting  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SECONDS = float(os.environ.get("BENCH_GLASS_SECONDS", "20"))
SETTLE_LIMIT = 90.0  # seconds for every player to play steadily before measuring; then give up
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required", "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
SWITCH = "Lav forsinkelse (for presse og overflytningsrom)"

# The sender: a 640x360 canvas camera with the clock in it, and the fake microphone's sound.
CLOCK_CAMERA = """
(() => {
  const W = 640, H = 360, BITS = 24, BW = W / (BITS + 2);
  const canvas = document.createElement('canvas');
  canvas.width = W; canvas.height = H;
  const g = canvas.getContext('2d');
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0];
  function draw() {
    const code = Date.now() % (1 << 24);
    g.fillStyle = '#777'; g.fillRect(0, 0, W, H);
    for (let row = 0; row < 2; row++) {
      for (let i = 0; i < BITS; i++) {
        const bit = (code >> (BITS - 1 - i)) & 1;
        g.fillStyle = (bit ^ row) ? '#fff' : '#000';
        g.fillRect((i + 1) * BW, 30 + row * 100, BW, 80);
      }
    }
    track.requestFrame();
  }
  setInterval(draw, 33);
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const tracks = [];
    if (constraints && constraints.audio) {
      tracks.push(...(await original({ audio: constraints.audio })).getAudioTracks());
    }
    if (constraints && constraints.video) tracks.push(track.clone());
    return new MediaStream(tracks);
  };
})();
"""

# The viewer: read the clock from every decoded frame of #player.
CLOCK_READER = """
(() => {
  const W = 640, H = 360, BITS = 24, BW = W / (BITS + 2);
  window.__glass = { samples: [], unreadable: 0, since: Infinity };
  const canvas = document.createElement('canvas');
  canvas.width = W; canvas.height = H;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  function luma(data, x, y) {
    let sum = 0;
    for (let dy = -3; dy <= 3; dy += 3) {
      for (let dx = -3; dx <= 3; dx += 3) sum += data[((y + dy) * W + x + dx) * 4 + 1];
    }
    return sum / 9;
  }
  function read(video) {
    g.drawImage(video, 0, 0, W, H);
    const data = g.getImageData(0, 0, W, 220).data;
    let code = 0;
    for (let i = 0; i < BITS; i++) {
      const x = Math.round((i + 1.5) * BW);
      const a = luma(data, x, 70) > 128, b = luma(data, x, 170) > 128;
      if (a === b) return null;  // the rows disagree: a blurred or half-changed frame
      code = code * 2 + (a ? 1 : 0);
    }
    return code;
  }
  function attach() {
    const video = document.getElementById('player');
    if (!video || !video.requestVideoFrameCallback) return setTimeout(attach, 200);
    const step = (now, meta) => {
      try {
        const shown = performance.timeOrigin + meta.expectedDisplayTime;
        const code = read(video);
        const g = window.__glass;
        if (shown >= g.since) {
          if (code === null) g.unreadable++;
          else {
            const sent = shown - ((shown - code) % (1 << 24) + (1 << 24)) % (1 << 24);
            const seekable = video.seekable.length ? video.seekable.end(video.seekable.length - 1) : NaN;
            g.samples.push({ latency: shown - sent, feed: video.dataset.feed || '',
                             mode: video.dataset.hlsMode || '', behind: (seekable - video.currentTime) * 1000 });
          }
        } else if (code !== null) {
          g.last = { at: shown, feed: video.dataset.feed || '', mode: video.dataset.hlsMode || '' };
        }
      } catch (e) { window.__glass.error = String(e); }
      video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
  }
  attach();
})();
"""


def pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def start_server(tmp: Path) -> tuple[subprocess.Popen, str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SQLITE_PATH=str(tmp / "db.sqlite3"), LIVESTREAM_ROOT=str(tmp / "live"), MEDIA_ROOT=str(tmp / "media"),
               DEBUG="1", LIVESTREAM_ENABLED="1", MEDIA_IN_PROCESS="1", LIVESTREAM_WEBRTC_CONNECT_TIMEOUT="60",
               LIVESTREAM_PART_SECONDS=os.environ.get("BENCH_GLASS_PART_SECONDS", str(1 / 3)))
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, timeout=300, capture_output=True)
    port = free_port()
    log = open(tmp / "daphne.log", "w")
    proc = subprocess.Popen([PY, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, 60)
    return proc, f"http://127.0.0.1:{port}", log


def main() -> int:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-glass-"))
    proc, base, log = start_server(tmp)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            meeting = formannskap_meeting(base)
            chair_context = browser.new_context(permissions=["camera", "microphone"], locale="nb-NO",
                                                viewport={"width": 1280, "height": 800})
            chair_context.set_default_timeout(60_000)
            chair_context.add_init_script(CLOCK_CAMERA)
            chair = chair_context.new_page()
            chair.goto(f"{base}/accounts/login/")
            chair.fill("#id_username", "ordforer")
            chair.fill("#id_password", "demo1234")
            chair.click("main form button[type=submit]")
            chair.wait_for_load_state()
            chair.goto(f"{base}/meetings/{meeting}/room/")
            chair.wait_for_function(
                "() => (document.querySelector('#conn-status')?.innerText || '').includes('Tilkoblet')")
            chair.click("text=Sett møtet")
            chair.click("#join-meeting")
            chair.click("#join-media")

            players, requests = {}, {}
            for label, query in [("HLS (hls.js, standard)", "?hls=standard"), ("LL-HLS (hls.js, lowLatencyMode)", ""),
                                 ("WebRTC viewer", "")]:
                context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 800})
                context.set_default_timeout(60_000)
                context.add_init_script(CLOCK_READER)
                page = context.new_page()
                counts = requests[label] = {"parts": 0, "segments": 0, "blocking": 0}

                def count(request, counts=counts) -> None:
                    name = request.url.rsplit("/", 1)[-1]
                    key = "parts" if name.startswith("part_") else "segments" if name.startswith("seg_") else \
                        "blocking" if "_HLS_msn=" in name else None
                    if key:
                        counts[key] += 1

                page.on("request", count)
                page.goto(f"{base}/meetings/{meeting}/{query}")
                players[label] = page
            webrtc = players["WebRTC viewer"]
            switch = webrtc.get_by_label(SWITCH)
            switch.wait_for(state="visible")
            switch.check()

            # Steady: every player shows readable clocks, on the feed it is meant to play.
            wanted = {"HLS (hls.js, standard)": ("hls", "standard"),
                      "LL-HLS (hls.js, lowLatencyMode)": ("hls", "low-latency"), "WebRTC viewer": ("webrtc", "")}
            deadline = time.monotonic() + SETTLE_LIMIT
            while True:
                now_ms = time.time() * 1000
                ready = {}
                for label, page in players.items():
                    last = page.evaluate("() => window.__glass.last || null")
                    playing = (last["feed"], last["mode"] if last["feed"] == "hls" else "") if last else None
                    ready[label] = bool(last and now_ms - last["at"] < 1500 and playing == wanted[label])
                if all(ready.values()):
                    break
                if time.monotonic() > deadline:
                    print(f"not every player played within {SETTLE_LIMIT:.0f} s: {ready}", flush=True)
                    for label, page in players.items():
                        print(label, page.evaluate("() => JSON.stringify(window.__glass)")[:300])
                    return 1
                time.sleep(0.5)
            time.sleep(3)  # past the players' start-up catch-up
            since = time.time() * 1000
            for label, page in players.items():
                page.evaluate(f"() => {{ window.__glass.since = {since}; }}")
                requests[label].update(parts=0, segments=0, blocking=0)
            time.sleep(SECONDS)
            results = {label: page.evaluate("() => window.__glass") for label, page in players.items()}
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    part = float(os.environ.get("BENCH_GLASS_PART_SECONDS", 1 / 3))
    print(f"\nGlass to glass (640x360, 15 fps, 1 s segments, {part:.2f} s parts; the chair's canvas camera in"
          f" Chromium → VP8 → SFU → public mix → player in Chromium; {SECONDS:.0f} s, all three players at once):\n")
    print("| player | frames read | unreadable | p50 | p95 | min | max | behind the playlist's end (p50) |"
          " requests: parts / segments / playlist reloads with `_HLS_msn` |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    summary = {}
    for label, r in results.items():
        feed, mode = wanted[label]
        kept = [s for s in r["samples"] if s["feed"] == feed and (feed != "hls" or s["mode"] == mode)]
        lat = [s["latency"] for s in kept]
        behind = [s["behind"] for s in kept if s.get("behind") is not None]
        behind_text = f"{pctl(behind, 0.5) / 1000:.2f} s" if feed == "hls" and behind else "–"
        n = requests[label]
        asked = f"{n['parts']} / {n['segments']} / {n['blocking']}" if feed == "hls" else "–"
        if lat:
            summary[label] = {"p50_ms": round(pctl(lat, 0.5)), "p95_ms": round(pctl(lat, 0.95)), "n": len(lat)}
            print(f"| {label} | {len(lat)} | {r['unreadable']} | {pctl(lat, 0.5) / 1000:.2f} s | "
                  f"{pctl(lat, 0.95) / 1000:.2f} s | {min(lat) / 1000:.2f} s | {max(lat) / 1000:.2f} s | "
                  f"{behind_text} | {asked} |")
        else:
            summary[label] = {"n": 0}
            print(f"| {label} | 0 | {r['unreadable']} | – | – | – | – | – | {asked} |")
    print(f"\nLoad average (1 min) before the run: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}. "
          f"Bench runtime {time.monotonic() - started:.0f} s.")
    print("GLASS " + json.dumps(summary))
    return 0 if all(v["n"] for v in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
