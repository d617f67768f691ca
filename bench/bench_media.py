"""Member media bench: the media server alone, stock relay and forwarding side by side.

    python bench/bench_media.py            # a few minutes; prints markdown tables at the end
    BENCH_SIZES=1,10 BENCH_MEMBERS=10 BENCH_WINDOW=3 python bench/bench_media.py   # a quick look

Knobs: BENCH_MODES (relay,forward), BENCH_SIZES (receivers of one speaker: 1,10,30), BENCH_MEMBERS
(councils: 30,60,77), BENCH_RELAY_MEMBERS (the councils that also run on stock relay: 30),
BENCH_WARMUP / BENCH_WINDOW (seconds; a run warms up for at least a second per 10 members),
BENCH_JOIN_TIMEOUT (seconds for all members to connect),
BENCH_PROFILE=1 (after its window, profile the server of the largest forward council), BENCH_PIN=0 (no
pinning, for comparison).

* Runs. Scaling: one speaker (VP8 640x480 30 fps ~1 Mbit/s + Opus) to N receivers. Councils, floor
  model: everyone sends Opus, speaker and chair also VP8 640x480 15 fps ~500 kbit/s, every member
  receives the speaker's and the chair's audio and video (never their own). Each run, on a fresh
  server, for ``relay`` (stock aiortc: ``MediaRelay`` of the decoded tracks, one encoder per
  receiving slot) and ``forward`` (``conference.MediaRoom``).
* The server runs in a child process pinned to core 0 (every thread: aiortc's decoder and encoder
  threads too), the simulated clients in this process pinned to core 1. Both processes' CPU is
  ``time.process_time()`` over the window, 100 % = one core.
* Packets are counted in the server at its sockets, below any forwarding code: every datagram an
  aioice ``StunProtocol`` sends (its transport's ``sendto``, wrapped when the socket is made, and
  the socket's own ``sendto`` the forwarding calls, wrapped where it takes it,
  ``forwarding.raw_sendto``) or receives. RTP is told from RTCP by the second byte
  (``aiortc.rtp.is_rtcp``); SRTP leaves the header in clear. µs per packet = server CPU seconds /
  RTP packets sent, both over the window.
* Clients send pre-encoded VP8/Opus through aiortc's sender (each member's Opus loop starts at a
  different packet, so payloads differ between members) and receive with a counter instead of
  aiortc's receive path: in the socket callback the RTP header alone (SRTP leaves it in clear; one
  packet in ``VERIFY_EVERY`` is decrypted and authenticated, failures reported) counts
  audio packets and video frames (RTP marker bits) and feeds aiortc's ``StreamStatistics``, so the
  clients' receiver reports still reach the server (it would count members "not receiving" without
  them). RTCP is handled by aiortc as usual.
* Server-added audio latency: from a publisher's audio datagram reaching the server socket
  (``aioice.ice.Connection.data_received``) to the moment the forwarding has handed it to every
  receiver (``conference.forwarding.probe``).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import fractions
import multiprocessing as mp
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

MODES = [m for m in os.environ.get("BENCH_MODES", "relay,forward").split(",") if m]
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "1,10,30").split(",") if x]
MEMBERS = [int(x) for x in os.environ.get("BENCH_MEMBERS", "30,60,77").split(",") if x]
RELAY_MEMBERS = {int(x) for x in os.environ.get("BENCH_RELAY_MEMBERS", "30").split(",") if x}
WARMUP = float(os.environ.get("BENCH_WARMUP", 2.5))
WINDOW = float(os.environ.get("BENCH_WINDOW", 5.0))
JOIN_TIMEOUT = float(os.environ.get("BENCH_JOIN_TIMEOUT", 30.0))
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")  # "blocking": py-spy pauses the server per sample
CALL_TIMEOUT = 60.0  # seconds for one request to the server process

_cpus = sorted(os.sched_getaffinity(0))
PIN = os.environ.get("BENCH_PIN", "1") != "0" and len(_cpus) >= 2
SERVER_CPU, CLIENT_CPU = (_cpus[0], _cpus[1]) if PIN else (None, None)
MODE_LABEL = {"relay": "stock relay (MediaRelay, re-encode)", "forward": "forwarding (MediaRoom)"}


def pin(cpu: int | None) -> None:
    """Pin every thread of this process to one CPU; threads started later inherit it."""
    if cpu is None:
        return
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        tids = [0]
    for tid in tids:
        try:
            os.sched_setaffinity(tid, {cpu})
        except OSError:
            pass  # a thread that has just ended


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------- pre-encoded media (clients)


def encode_vp8(width: int, height: int, fps: int, bitrate: int, seconds: float) -> list[bytes]:
    """A loop of VP8 frames with a keyframe every 2 s, moving noise so the bitrate is real."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fractions.Fraction(fps, 1)
    codec.time_base = fractions.Fraction(1, fps)
    codec.gop_size = 2 * fps
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
                     "minrate": str(bitrate), "maxrate": str(bitrate), "bufsize": str(bitrate)}
    # testsrc-like: gradients, a moving square and mild noise (pure noise blows any bitrate)
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0 : height * 3 // 2, 0:width]
    base = ((xx * 255 // width + yy * 255 // height) % 256).astype(np.int16)
    out: list[bytes] = []
    for i in range(int(seconds * fps)):
        img = base.copy()
        x0, y0 = (i * 8) % (width - 80), (i * 5) % (height - 80)
        img[y0 : y0 + 80, x0 : x0 + 80] = 235
        img[:height] += rng.integers(-6, 7, (height, width))
        img = np.clip(img, 0, 255).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="yuv420p")
        frame.pts = i
        data = b"".join(bytes(p) for p in codec.encode(frame))
        if data:
            out.append(data)
    out += [b"".join(bytes(p) for p in codec.encode(None))]
    return [d for d in out if d]


def encode_opus(seconds: float) -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48000, "stereo", "s16"
    codec.bit_rate = 32000
    out: list[bytes] = []
    n = 0
    for _ in range(int(seconds * 50)):
        t = (np.arange(960) + n) / 48000
        freq = 300 + 200 * np.sin(2 * np.pi * 0.1 * t)  # a slow sweep: every packet unique
        pcm = (np.sin(2 * np.pi * np.cumsum(freq) / 48000) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(pcm, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, n
        n += 960
        out += [bytes(p) for p in codec.encode(frame)]
    return out


# ---------------------------------------------------------------- server-side instrumentation


class WireCounts:
    """RTP datagrams the server's ICE sockets sent and received (an instance: attribute increments on
    a class would invalidate its type cache on every packet)."""

    __slots__ = ("rtp_sent", "rtp_sent_bytes", "rtp_received")

    def __init__(self) -> None:
        self.rtp_sent = self.rtp_sent_bytes = self.rtp_received = 0

    def snapshot(self) -> tuple[int, int, int]:
        return self.rtp_sent, self.rtp_sent_bytes, self.rtp_received


WIRE = WireCounts()


def counting_sendto(send: Any) -> Any:
    def sendto(data: bytes, addr: Any = None) -> None:
        # RTP and RTCP: first byte 128..191 (version 2); RTCP: second byte 192..208 (aiortc.rtp.is_rtcp)
        if 127 < data[0] < 192 and not 191 < data[1] < 209:
            WIRE.rtp_sent += 1
            WIRE.rtp_sent_bytes += len(data)
        send(data, addr)

    return sendto


def counting_received(received: Any) -> Any:
    def datagram_received(self: Any, data: bytes, addr: Any) -> None:
        if 127 < data[0] < 192 and not 191 < data[1] < 209:
            WIRE.rtp_received += 1
        received(self, data, addr)

    return datagram_received


def count_datagrams() -> None:
    """Count RTP at aioice's sockets, whatever sends it: aiortc's ``_send_rtp`` or a forwarder
    writing ``pair.protocol.transport.sendto`` itself. Must run before the first socket is made."""
    from aioice.ice import StunProtocol

    made = StunProtocol.connection_made

    def connection_made(self: Any, transport: Any) -> None:
        made(self, transport)
        transport.sendto = counting_sendto(transport.sendto)  # the protocol's .transport: every send passes

    StunProtocol.connection_made = connection_made  # type: ignore[method-assign]
    StunProtocol.datagram_received = counting_received(StunProtocol.datagram_received)  # type: ignore[method-assign]


# When the datagram being processed reached the server socket. aiortc's RTCDtlsTransport._recv_next
# awaits the ICE connection's recv() and then handles that datagram without yielding to the loop, so
# during its processing this names its arrival (None once a probe took it) and its ICE connection.
current_arrival: float | None = None
current_connection: object = None


class LatencySamples:
    __slots__ = ("samples", "orphans", "unmatched", "publishers")

    def __init__(self) -> None:
        self.samples: list[float] = []
        # The ICE connections of the members on the floor (None: all). A probe after a packet that
        # went to nobody (a member off the floor) would add a sample of pure bookkeeping.
        self.publishers: set[object] | None = None
        self.orphans = 0  # probe("audio") calls with no datagram arrival to match: a hook in the wrong place
        self.unmatched = 0  # fallback only: packets never handed to all their slots (dropped by a full queue)

    def clear(self) -> None:
        self.samples.clear()
        self.orphans = self.unmatched = 0


LATENCY = LatencySamples()


def timed_data_received(data_received: Any) -> Any:
    monotonic = time.monotonic

    def timed(self: Any, data: bytes, component: int) -> None:
        try:
            self._bench_arrivals.append(monotonic())
        except AttributeError:
            self._bench_arrivals = collections.deque([monotonic()])
        data_received(self, data, component)  # queues the datagram: FIFO, like the arrivals

    return timed


def timed_recvfrom(recvfrom: Any) -> Any:
    async def timed(self: Any) -> tuple[bytes, int]:
        global current_arrival, current_connection
        result = await recvfrom(self)  # recv() calls recvfrom(): both are covered
        current_arrival = self._bench_arrivals.popleft()
        current_connection = self
        return result

    return timed


def clock_arrivals() -> None:
    """Note when each datagram reached its connection, and publish it in ``current_arrival`` when
    the connection hands it on. Must run before the first ICE connection exists."""
    from aioice.ice import Connection

    Connection.data_received = timed_data_received(Connection.data_received)  # type: ignore[method-assign]
    Connection.recvfrom = timed_recvfrom(Connection.recvfrom)  # type: ignore[method-assign]


def probe(kind: str) -> None:
    """``conference.forwarding.probe``: one publisher packet was just sent to all its receivers."""
    global current_arrival
    if kind != "audio":
        return
    arrival = current_arrival
    if arrival is None:
        LATENCY.orphans += 1
        return
    current_arrival = None
    if LATENCY.publishers is None or current_connection in LATENCY.publishers:
        LATENCY.samples.append(time.monotonic() - arrival)


def calibrate_hooks(n: int = 20000) -> dict[str, float]:
    """CPU µs the bench's own hooks add per call, in this process: the server's figures include them.

    Each hook wraps a do-nothing call; its cost is the difference to calling that directly.
    """
    global current_arrival

    class Holder:
        _bench_arrivals: collections.deque[float]

    rtp = bytes([0x80, 0x6F]) + bytes(160)

    def noop(*args: Any) -> None:
        pass

    async def inner(self: Any) -> tuple[bytes, int]:
        return rtp, 1

    def per_call(fn: Any, *args: Any) -> float:
        t0 = time.process_time()
        for _ in range(n):
            fn(*args)
        return (time.process_time() - t0) / n * 1e6

    def drive(factory: Any, holder: Any) -> None:
        coro = factory(holder)
        try:
            coro.send(None)
        except StopIteration:
            pass

    saved = WIRE.snapshot(), current_arrival
    holder = Holder()
    holder._bench_arrivals = collections.deque()
    data_received, recvfrom = timed_data_received(noop), timed_recvfrom(inner)

    def timed_arrival() -> None:
        data_received(holder, rtp, 1)
        drive(recvfrom, holder)

    def plain_arrival() -> None:
        noop(holder, rtp, 1)
        drive(inner, holder)

    def probed() -> None:
        global current_arrival
        current_arrival = 1.0
        probe("audio")

    def unprobed() -> None:
        global current_arrival
        current_arrival = 1.0
        noop("audio")

    costs = {
        "send": per_call(counting_sendto(noop), rtp, None) - per_call(noop, rtp, None),
        "receive": per_call(counting_received(noop), None, rtp, None) - per_call(noop, None, rtp, None),
        "arrival": per_call(timed_arrival) - per_call(plain_arrival),
        "probe": per_call(probed) - per_call(unprobed),
    }
    (WIRE.rtp_sent, WIRE.rtp_sent_bytes, WIRE.rtp_received), current_arrival = saved
    LATENCY.clear()
    return {k: max(0.0, v) for k, v in costs.items()}


# ---------------------------------------------------------------- the server process


class StockRelay:
    """Stock aiortc as a relay: ``MediaRelay`` of each floor member's decoded tracks, one encoder per
    receiving slot (an aiortc sender encodes whatever frames its track yields)."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaRelay

        self.relay = MediaRelay()
        self.pcs: dict[int, Any] = {}
        self.tracks: dict[tuple[int, str], MediaStreamTrack] = {}
        self.drains: dict[tuple[int, str], asyncio.Task[None]] = {}
        self.floor: dict[str, frozenset[int]] = {"audio": frozenset(), "video": frozenset()}

    async def offer(self, person: int, sdp: str) -> str:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from conference.config import ice_configuration

        pc = RTCPeerConnection(ice_configuration())
        self.pcs[person] = pc
        pc.on("track", lambda track: self._on_track(person, track))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for t in pc.getTransceivers():
            if t._offerDirection == "sendonly":  # the offer's recvonly, seen from here: a receiving slot
                t.direction = "sendrecv"  # answered sendonly; route() gives the sender its track
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    def _on_track(self, person: int, track: MediaStreamTrack) -> None:
        # aiortc decodes every received track and queues the frames without bound: read them
        # until route() hands a floor member's track to the relay.
        self.tracks[(person, track.kind)] = track
        self.drains[(person, track.kind)] = asyncio.ensure_future(_discard(track))

    def route(self) -> None:
        """Feed every member's slots from the floor. Done once all have joined: a re-encoding server
        saturated by the first members would not connect the later ones in time."""
        for person, pc in self.pcs.items():
            for kind in ("audio", "video"):
                wanted = [p for p in sorted(self.floor[kind]) if p != person]
                slots = [t for t in pc.getTransceivers() if t.kind == kind and t._offerDirection == "sendonly"]
                for t, publisher in zip(slots, wanted, strict=False):
                    track = self.tracks.get((publisher, kind))
                    if track is None:
                        continue
                    drain = self.drains.pop((publisher, kind), None)
                    if drain is not None:
                        drain.cancel()
                    # unbuffered: an encoder that falls behind skips to the newest frame (bounded memory)
                    t.sender.replaceTrack(self.relay.subscribe(track, buffered=False))

    async def close(self) -> None:
        for task in self.drains.values():
            task.cancel()
        for pc in self.pcs.values():
            await pc.close()


async def _discard(track: MediaStreamTrack) -> None:
    from aiortc.mediastreams import MediaStreamError

    try:
        while True:
            await track.recv()
    except MediaStreamError:
        pass


def ice_connections(room: Any, people: Any) -> set[object] | None:
    """The aioice connections of these members' peers (None if the room's insides moved)."""
    found: set[object] = set()
    for person in people:
        pc = getattr(room.peers.get(person), "pc", None)
        for t in pc.getTransceivers() if pc is not None else ():
            connection = getattr(getattr(t.receiver.transport, "transport", None), "_connection", None)
            if connection is None:
                return None
            found.add(connection)
    return found or None


def server_main(conn: Any, mode: str, cpu: int | None) -> None:
    pin(cpu)
    asyncio.run(_server(conn, mode))


async def _server(conn: Any, mode: str) -> None:
    import psutil

    from conference import forwarding
    from conference.config import patch_host_addresses
    from conference.room import MediaRoom

    patch_host_addresses()
    hook_cost = calibrate_hooks()
    if mode == "forward":
        # The forwarding checks aioice's stock code and puts its own receive path in first: the
        # bench's hooks go on top of it (install is idempotent; MediaRoom calls it again).
        forwarding.install()
        # The forwarding sends on the socket under the transport (forwarding.raw_sendto): count there.
        raw_sendto = forwarding.raw_sendto

        def counting_raw_sendto(udp: Any) -> Any:
            send = raw_sendto(udp)
            return None if send is None else counting_sendto(send)

        forwarding.raw_sendto = counting_raw_sendto
    count_datagrams()
    loop = asyncio.get_running_loop()
    proc = psutil.Process()
    room: MediaRoom | None = None
    relay: StockRelay | None = None
    latency_hook = "–"
    if mode == "forward":
        clock_arrivals()
        forwarding.probe = probe
        latency_hook = "forwarding.probe"
        # The degrade-to-audio-only thresholds are out of reach: the bench measures what is forwarded.
        room = MediaRoom(1, audio_only_loss=1.1, audio_only_rtt_ms=1e9)
    else:
        relay = StockRelay()
    cpu0 = wall0 = 0.0
    wire0 = WIRE.snapshot()
    times0 = os.times()
    fwd0 = None

    async def handle(cmd: str, args: list[Any]) -> Any:
        nonlocal cpu0, wall0, wire0, times0, fwd0
        if cmd == "offer":
            person, sdp = args
            if room is not None:
                return (await room.handle_offer(person, sdp, "offer"))["sdp"]
            assert relay is not None
            return await relay.offer(person, sdp)
        if cmd == "floor":
            audio_from, video_from = args
            if room is not None:
                await room.set_floor(audio_from, video_from)
            else:
                assert relay is not None
                relay.floor = {"audio": frozenset(audio_from), "video": frozenset(video_from)}
            return None
        if cmd == "route":
            if relay is not None:
                relay.route()
            return None
        if cmd == "rss":
            return proc.memory_info().rss
        if cmd == "start":
            LATENCY.clear()
            if room is not None:
                LATENCY.publishers = ice_connections(room, room.audio_from)
            wire0 = WIRE.snapshot()
            times0 = os.times()
            fwd0 = dataclasses.replace(forwarding.stats)
            cpu0, wall0 = time.process_time(), time.monotonic()
            return None
        if cmd == "stop":
            cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
            times1 = os.times()
            kernel = times1.system - times0.system  # on loopback this includes delivering to the clients
            sent, sent_bytes, received = (b - a for a, b in zip(wire0, WIRE.snapshot(), strict=True))
            lat = [x * 1000 for x in LATENCY.samples]
            # What the bench's own hooks cost, in server CPU µs per sent packet (part of the figure)
            hooks = sent * hook_cost["send"] + received * hook_cost["receive"]
            if mode == "forward":
                hooks += received * hook_cost["arrival"] + len(lat) * hook_cost["probe"]
            stats: dict[str, Any] = {
                "cpu": cpu / wall, "cpu_seconds": cpu, "wall": wall,
                "rtp_sent": sent / wall, "rtp_received": received / wall, "sent_mbit": sent_bytes * 8 / wall / 1e6,
                "us_per_packet": cpu / sent * 1e6 if sent else float("nan"),
                "kernel": kernel / wall, "user_us_per_packet": (cpu - kernel) / sent * 1e6 if sent else float("nan"),
                "hook_us_per_packet": hooks / sent if sent else float("nan"), "hook_cost": hook_cost,
                "lat_p50": pct(lat, 0.5), "lat_p99": pct(lat, 0.99), "lat_n": len(lat),
                "lat_orphans": LATENCY.orphans, "lat_unmatched": LATENCY.unmatched, "latency_hook": latency_hook,
                "rss": proc.memory_info().rss,
            }
            if room is not None:
                fwd = forwarding.stats
                packets = fwd.packets - fwd0.packets
                stats["path_us_per_packet"] = (
                    (fwd.forward_seconds - fwd0.forward_seconds) / packets * 1e6 if packets else float("nan")
                )
                received = fwd.received - fwd0.received
                stats["quiet_share"] = (fwd.quiet - fwd0.quiet) / received if received else 0.0
                # Receiver reports must still arrive from the counting clients, and nobody may be
                # degraded, or the figures would not be those of a full council.
                facts = [room.measure(p)[0] for p in room.peers]
                stats["receiving"] = sum(f["receives"] for f in facts)
                stats["peers"] = len(facts)
                stats["audio_only"] = sum(room.is_audio_only(p) for p in room.peers)
            return stats
        if cmd == "cprofile":
            return await cprofile(args[0])
        raise ValueError(f"unknown command {cmd!r}")

    while True:
        try:
            cmd, *args = await loop.run_in_executor(None, conn.recv)
        except EOFError:  # the bench went away
            break
        if cmd == "quit":
            if room is not None:
                await room.close()
            if relay is not None:
                await relay.close()
            conn.send(("ok", "bye"))
            return
        try:
            conn.send(("ok", await handle(cmd, args)))
        except Exception as exc:  # noqa: BLE001 - reported to the bench, which goes on
            conn.send(("error", f"{cmd}: {exc!r}\n{traceback.format_exc(limit=4)}"))


async def cprofile(seconds: float) -> list[tuple[str, float, float]]:
    """Own time per function on the server's event-loop thread (not its codec threads)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    await asyncio.sleep(seconds)
    profiler.disable()
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(e[2] for e in entries.values()) or 1.0
    top = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    return [(f"{func} ({short_path(path)}:{line})", tt / total, tt) for (path, line, func), (_, _, tt, _, _) in top]


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    return path.removeprefix(root)


# ---------------------------------------------------------------- the clients (this process)


class Replay(MediaStreamTrack):
    """Feeds pre-encoded frames to an aiortc sender in real time (aiortc's ``pack`` path), from
    frame ``start`` of the loop on."""

    def __init__(self, kind: str, frames: list[bytes], rate: float, clock: int, start: int = 0) -> None:
        super().__init__()
        self.kind = kind
        self._frames, self._rate, self._clock, self._start = frames, rate, clock, start
        self._n = 0
        self._t0: float | None = None
        self._tb = fractions.Fraction(1, clock)

    async def recv(self) -> av.Packet:
        if self._t0 is None:
            self._t0 = time.monotonic()
        else:
            late = time.monotonic() - (self._t0 + self._n / self._rate)
            if late > 0.1:
                # A stalled client skips frames, as a camera or microphone would, rather than sending a
                # burst that the server would have to forward (it would count as more than real time).
                self._n += int(late * self._rate)
            await asyncio.sleep(max(0.0, self._t0 + self._n / self._rate - time.monotonic()))
        pkt = av.Packet(self._frames[(self._start + self._n) % len(self._frames)])
        pkt.pts = int(self._n * self._clock / self._rate)
        pkt.time_base = self._tb
        self._n += 1
        return pkt


class _Stream:
    __slots__ = ("kind", "stats", "seen")

    def __init__(self, kind: str | None, stats: Any) -> None:
        self.kind = kind  # "audio", "video", or None (RTX, unknown): not counted
        self.stats = stats
        from conference.forwarding import Seen  # what StreamStatistics.add reads, as the server keeps it

        self.seen = Seen()


VERIFY_EVERY = 16  # clients decrypt one received SRTP packet in this many (fast_client_datagrams)
_RTP_HEADER = struct.Struct("!HII")  # sequence number, timestamp, SSRC (from byte 2)


def fast_client_datagrams() -> None:
    """Clients only: count an SRTP packet straight from the socket callback, once its connection has a
    counter (``BenchClient.count_received``), skipping the connection's queue, the DTLS transport's
    task and aiortc's RTP parsing; RTCP and everything else take aiortc's path, except that SRTCP is
    not first tried as STUN (a STUN message's first two bits are 0)."""
    import pylibsrtp
    from aioice.ice import StunProtocol

    stock = StunProtocol.datagram_received

    def datagram_received(self: Any, data: bytes, addr: Any) -> None:
        if 127 < data[0] < 192:
            fast = self.receiver.__dict__.get("_bench_counter")
            if fast is not None and not 191 < data[1] < 209 and fast[0]._rx_srtp is not None:
                # SRTP leaves the RTP header in clear, and that is all the counter reads: decrypt
                # and authenticate one packet in VERIFY_EVERY (the server's encryption is checked,
                # a failure is counted), and count the others as they are.
                fast[2][0] += 1
                if fast[2][0] % VERIFY_EVERY:
                    fast[1](data)
                    return
                try:
                    fast[1](fast[0]._rx_srtp.unprotect(data))
                except pylibsrtp.Error:
                    fast[2][1] += 1
            else:
                self.receiver.data_received(data, self.local_candidate.component)
        else:
            stock(self, data, addr)

    StunProtocol.datagram_received = datagram_received  # type: ignore[method-assign]


class BenchClient:
    """One simulated member: sends through aiortc's sender, receives with a counter (module doc)."""

    def __init__(self, person: int, audio: list[bytes] | None, video: list[bytes] | None, fps: int,
                 slots: tuple[int, int]) -> None:
        from aiortc import RTCPeerConnection

        from conference.config import ice_configuration

        self.person = person
        self.pc = RTCPeerConnection(ice_configuration())
        self.counts = {"audio": 0, "video": 0}  # audio packets, video frames (marker bits), all slots
        self._streams: dict[int, _Stream] = {}
        self.verified = [0, 0]  # SRTP packets received, and of the ones decrypted, those that failed
        if audio is not None:
            # Members' Opus loops start 7 packets apart: payloads differ between members at any moment.
            self.pc.addTransceiver(Replay("audio", audio, 50, 48000, start=person * 7), direction="sendonly")
        if video is not None:
            self.pc.addTransceiver(Replay("video", video, fps, 90000), direction="sendonly")
        for kind, n in zip(("audio", "video"), slots, strict=True):
            for _ in range(n):
                self.pc.addTransceiver(kind, direction="recvonly")

    def count_received(self) -> None:
        """Replace aiortc's RTP receive path (parse, jitter buffer, depacketize) on this client's
        transports with a counter. Call after setRemoteDescription, before DTLS is up."""
        for dtls in {t.receiver.transport for t in self.pc.getTransceivers()}:
            count = self._counter(dtls)

            async def handle_rtp_data(data: bytes, arrival_time_ms: int, count: Any = count) -> None:
                count(data)

            dtls._handle_rtp_data = handle_rtp_data
            connection = getattr(dtls.transport, "_connection", None)
            if connection is not None:
                # fast_client_datagrams counts from the socket; [received, failed to decrypt]
                connection._bench_counter = (dtls, count, self.verified)

    def _counter(self, dtls: Any) -> Any:
        streams, counts, unpack = self._streams, self.counts, _RTP_HEADER.unpack_from

        def count(data: bytes) -> None:
            seq, ts, ssrc = unpack(data, 2)
            stream = streams.get(ssrc)
            if stream is None:
                stream = streams[ssrc] = self._learn(dtls, data, ssrc)
            if stream.stats is not None:
                seen = stream.seen
                seen.sequence_number, seen.timestamp = seq, ts
                stream.stats.add(seen)  # what the receiver reports (loss, jitter, highest sequence)
            if stream.kind == "audio":
                counts["audio"] += 1
            elif stream.kind == "video" and data[1] & 0x80:
                counts["video"] += 1

        return count

    @staticmethod
    def _learn(dtls: Any, data: bytes, ssrc: int) -> _Stream:
        """A new SSRC: route its first packet as aiortc would, once, and register its statistics with
        the receiver, whose RTCP loop then reports on it (and takes the sender reports for it)."""
        from aiortc.rtcrtpreceiver import StreamStatistics
        from aiortc.rtp import RtpPacket

        try:
            packet = RtpPacket.parse(data, dtls._rtp_header_extensions_map)
        except ValueError:
            return _Stream(None, None)
        receiver = dtls._rtp_router.route_rtp(packet)
        codec = getattr(receiver, "_RTCRtpReceiver__codecs", {}).get(packet.payload_type)
        if codec is None:
            return _Stream(None, None)
        kind, _, name = codec.mimeType.lower().partition("/")
        stats = StreamStatistics(codec.clockRate)
        receiver._RTCRtpReceiver__remote_streams[ssrc] = stats
        return _Stream(None if name == "rtx" else kind, stats)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    async def close(self) -> None:
        await self.pc.close()


class Server:
    """The server child process and its request pipe."""

    def __init__(self, mode: str) -> None:
        self.conn, child = mp.Pipe()
        self.proc = mp.get_context("spawn").Process(target=server_main, args=(child, mode, SERVER_CPU), daemon=True)
        self.proc.start()
        self.lock = asyncio.Lock()

    async def call(self, *msg: Any, timeout: float = CALL_TIMEOUT) -> Any:
        async with self.lock:
            self.conn.send(msg)
            loop = asyncio.get_running_loop()
            deadline = time.monotonic() + timeout
            # poll, never a blocking recv in a thread: a dead server must not keep this process from exiting
            while not await loop.run_in_executor(None, self.conn.poll, 0.25):
                if not self.proc.is_alive():
                    raise RuntimeError(f"server process exited ({self.proc.exitcode}) during {msg[0]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server did not answer {msg[0]} in {timeout:.0f} s")
            status, value = self.conn.recv()
            if status != "ok":
                raise RuntimeError(value)
            return value

    async def join(self, client: BenchClient) -> None:
        from aiortc import RTCSessionDescription

        await client.pc.setLocalDescription(await client.pc.createOffer())
        answer = await self.call("offer", client.person, client.pc.localDescription.sdp)
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        client.count_received()

    async def quit(self) -> None:
        try:
            await self.call("quit", timeout=30)
        except Exception as exc:  # noqa: BLE001 - a stuck server is killed below
            print(f"  server did not quit cleanly: {str(exc).splitlines()[0]}", flush=True)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


async def join_all(server: Server, clients: list[BenchClient]) -> tuple[float, int]:
    """Join in batches of 10; return the time until every client is connected, and how many are."""
    t0 = time.monotonic()
    for batch in range(0, len(clients), 10):
        await asyncio.gather(*(server.join(c) for c in clients[batch : batch + 10]))
    deadline = t0 + JOIN_TIMEOUT
    while not all(c.connected for c in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return time.monotonic() - t0, sum(c.connected for c in clients)


async def measure(server: Server, receivers: list[BenchClient], warmup: float) -> dict[str, Any]:
    await asyncio.sleep(warmup)
    await server.call("start")
    # The clients' window is taken here, between the two calls: a busy server may answer late.
    before = [dict(c.counts) for c in receivers]
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(WINDOW)
    after = [dict(c.counts) for c in receivers]
    wall = time.monotonic() - t0
    client_cpu = (time.process_time() - cpu0) / wall
    stats: dict[str, Any] = await server.call("stop")
    stats["client_cpu"] = client_cpu
    fps = [(a["video"] - b["video"]) / wall for a, b in zip(after, before, strict=True)]
    aps = [(a["audio"] - b["audio"]) / wall for a, b in zip(after, before, strict=True)]
    stats["fps"] = statistics.mean(fps) if fps else 0.0
    stats["aps"] = statistics.mean(aps) if aps else 0.0
    stats["fps_min"] = min(fps) if fps else 0.0
    stats["srtp_failed"] = sum(c.verified[1] for c in receivers)
    return stats


async def run(mode: str, clients: list[BenchClient], floor: tuple[set[int], set[int]],
              receivers: list[BenchClient], profile: bool = False) -> dict[str, Any]:
    """One run on a fresh server: floor, joins, warm-up, the window; the clients are closed after."""
    server = Server(mode)
    try:
        rss0 = await server.call("rss")
        await server.call("floor", *floor)
        join_time, connected = await join_all(server, clients)
        await server.call("route")
        # Joining leaves a backlog (datagrams queued in the sockets while handshakes ran) that a busy
        # server forwards above real time for a while: a council warms up for a second per 10 members.
        stats = await measure(server, receivers, max(WARMUP, len(clients) / 10))
        stats.update(join_time=join_time, connected=connected, members=len(clients),
                     rss_per_member=(stats["rss"] - rss0) / len(clients))
        if profile:
            stats["profile"] = await profile_server(server)
        return stats
    finally:
        await server.quit()
        try:
            await asyncio.wait_for(asyncio.gather(*(c.close() for c in clients), return_exceptions=True), 30)
        except TimeoutError:
            print("  clients did not close in 30 s", flush=True)


async def scaling(mode: str, n: int, media: dict[str, list[bytes]]) -> dict[str, Any]:
    speaker = BenchClient(0, media["opus"], media["vp8_1m"], 30, (0, 0))
    receivers = [BenchClient(i, None, None, 30, (1, 1)) for i in range(1, n + 1)]
    stats = await run(mode, [speaker, *receivers], ({0}, {0}), receivers)
    stats["expected"] = (30.0, 50.0)
    return stats


async def council(mode: str, members: int, media: dict[str, list[bytes]], profile: bool = False) -> dict[str, Any]:
    speaker, chair = 1, 0
    clients = [
        BenchClient(p, media["opus"], media["vp8_500k"] if p in (speaker, chair) else None, 15, (2, 2))
        for p in range(members)
    ]
    floor = ({speaker, chair}, {speaker, chair})
    stats = await run(mode, clients, floor, [c for c in clients if c.person not in (speaker, chair)], profile)
    stats["expected"] = (30.0, 100.0)
    return stats


# ---------------------------------------------------------------- profiling


async def profile_server(server: Server) -> dict[str, Any]:
    """Own time per function in the server for one window: py-spy if it can attach, else cProfile."""
    seconds = max(1, round(WINDOW))
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    why = "py-spy not installed (pip install -e '.[bench]')"
    if os.path.exists(pyspy):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "raw.txt"
            # --nonblocking (the default here): py-spy reads the stacks while the server runs, which may
            # misplace a sample now and then but does not stop ~80 threads 100 times a second.
            blocking = os.environ.get("BENCH_PROFILE") == "blocking"
            how = [] if blocking else ["--nonblocking"]
            proc = await asyncio.create_subprocess_exec(
                pyspy, "record", *how, "--format", "raw", "--rate", "100", "--duration", str(seconds),
                "--pid", str(server.proc.pid), "--output", str(out),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            try:
                _, err = await asyncio.wait_for(proc.communicate(), seconds + 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                err = b"timed out"
            if proc.returncode == 0 and out.exists():
                top, samples = leaf_functions(out.read_text())
                if samples:
                    tool = f"py-spy record {how[0] if how else '(blocking)'}, 100 Hz, {seconds} s, all threads"
                    return {"tool": f"{tool}, waits left out", "samples": samples, "top": top}
            last = err.decode(errors="replace").strip().splitlines()[-1:]
            why = f"py-spy could not sample: {last[0] if last else f'exit {proc.returncode}'}"
    entries = await server.call("cprofile", seconds, timeout=seconds + CALL_TIMEOUT)
    return {"tool": f"cProfile on the event-loop thread, {seconds} s ({why})", "samples": None,
            "top": [(name, share, f"{tt * 1000:.0f} ms") for name, share, tt in entries]}


_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>.*?)(?::\d+)?\)$")
# Innermost frames of a thread that waits: py-spy cannot always tell an idle thread (a runnable thread
# on a busy core, or a sample read while the thread runs), so these are dropped by name.
IDLE = re.compile(r"^(\w*Selector\.select \(selectors\.py\)|(Condition|Event)\.wait \(threading\.py\)"
                  r"|\S+ \(multiprocessing/connection\.py\)|_worker \(concurrent/futures/thread\.py\))$")


def leaf_functions(raw: str, n: int = 15) -> tuple[list[tuple[str, float, str]], int]:
    """py-spy's raw (collapsed) stacks, one ``frame;frame;... count`` a line: own time per function
    is the samples whose innermost frame it is (line numbers folded), waits left out."""
    own: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        m = _FRAME.match(leaf)
        name = f"{m['func']} ({short_path(m['path'])})" if m else leaf
        if not IDLE.match(name):
            own[name] += int(count)
    total = sum(own.values())
    return [(name, c / total, f"{c} samples") for name, c in own.most_common(n)], total


# ---------------------------------------------------------------- report


def describe(s: dict[str, Any]) -> str:
    line = (f"server {s['cpu'] * 100:5.1f} %  clients {s['client_cpu'] * 100:5.1f} %  "
            f"RTP sent {s['rtp_sent']:7.0f}/s ({s['sent_mbit']:.1f} Mbit/s) received {s['rtp_received']:6.0f}/s  "
            f"{s['us_per_packet']:5.1f} µs/pkt (user {s['user_us_per_packet']:.1f}, "
            f"hooks {s['hook_us_per_packet']:.1f})  "
            f"video {s['fps']:5.1f} fps (min {s['fps_min']:.1f})  "
            f"audio {s['aps']:5.1f}/s  joined {s['connected']}/{s['members']} in {s['join_time']:.1f} s")
    if s["lat_n"]:
        line += f"  audio latency p50 {s['lat_p50']:.1f} p99 {s['lat_p99']:.1f} ms (n={s['lat_n']})"
    if s["lat_orphans"] or s["lat_unmatched"]:
        line += f"  [latency: {s['lat_orphans']} probes without arrival, {s['lat_unmatched']} packets unmatched]"
    if "path_us_per_packet" in s:
        line += (f"  forwarding path {s['path_us_per_packet']:.1f} µs/pkt, "
                 f"{s['quiet_share'] * 100:.0f} % of received audio+video read quietly")
    if s.get("srtp_failed"):
        line += f"  [{s['srtp_failed']} sampled SRTP packets failed to decrypt]"
    if "receiving" in s:
        line += f"  receiving (RR) {s['receiving']}/{s['peers']}, audio-only {s['audio_only']}"
    return line


def rate(value: float, expected: float) -> str:
    """More than real time means the server was still forwarding a backlog: not a steady state."""
    return f"{value:.1f}" + (" (catching up)" if value > 1.05 * expected else "")


def row(label: str, mode: str, s: dict[str, Any] | str) -> str:
    if isinstance(s, str):
        return f"| {label} | {MODE_LABEL[mode]} | failed: {s} |" + " |" * 9
    lat = f"{s['lat_p50']:.1f} / {s['lat_p99']:.1f} ms (n={s['lat_n']})" if s["lat_n"] else "–"
    joined = f"{s['join_time']:.1f} s" + ("" if s["connected"] == s["members"] else f" ({s['connected']} connected)")
    return (f"| {label} | {MODE_LABEL[mode]} | {s['cpu'] * 100:.1f} % | {s['client_cpu'] * 100:.0f} % "
            f"| {s['rtp_sent']:.0f} | {s['rtp_received']:.0f} "
            f"| {s['us_per_packet']:.1f} / {s['user_us_per_packet']:.1f} ({s['hook_us_per_packet']:.1f}) "
            f"| {rate(s['fps'], s['expected'][0])} "
            f"| {rate(s['aps'], s['expected'][1])} | {lat} "
            f"| {s['rss_per_member'] / 1e6:.2f} MB | {joined} |")


HEADER = ("| {what} | server | server CPU ({sc}) | client CPU ({cc}) | RTP sent pkt/s | RTP received pkt/s "
          "| µs server CPU / sent RTP pkt: all / user (of it bench hooks) | video fps / receiver "
          "| audio pkt/s / receiver "
          "| server-added audio latency p50 / p99 | RSS per member | join time (all connected) |\n"
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def print_profile(members: int, profile: dict[str, Any]) -> None:
    samples = f", {profile['samples']} samples" if profile["samples"] else ""
    print(f"Server profile, {members}-member council, forwarding (after the measured window; "
          f"{profile['tool']}{samples}), top functions by own time:")
    print()
    print("| function | share of own time | |")
    print("|---|---:|---:|")
    for name, share, detail in profile["top"]:
        print(f"| `{name}` | {share * 100:.1f} % | {detail} |")
    print()


async def main() -> None:
    pin(CLIENT_CPU)
    from conference.config import patch_host_addresses

    patch_host_addresses()
    fast_client_datagrams()
    started = time.monotonic()
    media = {
        "vp8_1m": encode_vp8(640, 480, 30, 1_000_000, 4),
        "vp8_500k": encode_vp8(640, 480, 15, 500_000, 4),
        "opus": encode_opus(6),
    }
    scaled: list[tuple[int, str, dict[str, Any] | str]] = []
    for n in SIZES:
        for mode in MODES:
            try:
                stats: dict[str, Any] | str = await scaling(mode, n, media)
                print(f"{mode:8} N={n:3}  {describe(stats)}", flush=True)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - report the run and go on
                stats = str(exc).splitlines()[0][:200]
                print(f"{mode:8} N={n:3}  FAILED: {exc}", flush=True)
            scaled.append((n, mode, stats))
    councils: list[tuple[int, str, dict[str, Any] | str]] = []
    profiled: tuple[int, dict[str, Any]] | None = None
    forward_members = MEMBERS if "forward" in MODES else []
    for members in MEMBERS:
        for mode in MODES:
            if mode == "relay" and members not in RELAY_MEMBERS:
                continue
            profile = PROFILE and mode == "forward" and members == max(forward_members)
            try:
                stats = await council(mode, members, media, profile)
                print(f"council {members:3} {mode:8} {describe(stats)}", flush=True)  # type: ignore[arg-type]
                if profile:
                    profiled = (members, stats.pop("profile"))  # type: ignore[union-attr]
            except Exception as exc:  # noqa: BLE001
                stats = str(exc).splitlines()[0][:200]
                print(f"council {members:3} {mode:8} FAILED: {exc}", flush=True)
            councils.append((members, mode, stats))

    vp8_kbps = sum(map(len, media["vp8_1m"])) * 8 / (len(media["vp8_1m"]) / 30) / 1000
    vp8_500k_kbps = sum(map(len, media["vp8_500k"])) * 8 / (len(media["vp8_500k"]) / 15) / 1000
    pinned = (f"server process pinned to core {SERVER_CPU}, the simulated clients to core {CLIENT_CPU}"
              if SERVER_CPU is not None else "not pinned (BENCH_PIN=0 or fewer than 2 CPUs)")
    server_core, client_core = (f"core {SERVER_CPU}", f"core {CLIENT_CPU}") if PIN else ("unpinned", "unpinned")
    probes = {s["latency_hook"] for _, m, s in scaled + councils if isinstance(s, dict) and m == "forward"}
    print()
    print(f"Media server alone: {pinned}; each process's CPU over a {WINDOW:g} s window after all joined and "
          f"a warm-up of {WARMUP:g} s or a second per 10 members (100 % = one core). RTP packets counted at the "
          "server's sockets; µs per packet = server CPU / RTP packets sent. Stock relay: its members join "
          "first, then the floor is routed (a saturated re-encoding server could not connect the later ones), "
          "so its join time carries no media load.")
    print()
    print(f"Scaling: one speaker (VP8 640x480 30 fps ≈ {vp8_kbps:.0f} kbit/s + Opus) to N receivers "
          "(expect 30 video fps and 50 audio pkt/s per receiver):")
    print()
    print(HEADER.format(what="receivers", sc=server_core, cc=client_core))
    for n, mode, s in scaled:
        print(row(str(n), mode, s))
    print()
    print(f"Councils, floor model: speaker + chair on video (VP8 640x480 15 fps ≈ {vp8_500k_kbps:.0f} kbit/s), "
          "everyone sends Opus, every member receives speaker and chair audio+video (expect 30 video fps and "
          "100 audio pkt/s per member; speaker and chair, who receive one of each, are left out of the "
          "averages). Audio latency: a speaker's or chair's audio datagram at the server socket to its "
          f"hand-off to every receiver ({', '.join(sorted(probes)) or '–'}):")
    print()
    print(HEADER.format(what="members", sc=server_core, cc=client_core))
    for members, mode, s in councils:
        print(row(str(members), mode, s))
    print()
    if profiled is not None:
        print_profile(*profiled)
    elif PROFILE:
        print("BENCH_PROFILE=1, but no forward council ran to profile.")
        print()
    print(f"Load average after the run: {os.getloadavg()[0]:.2f} (other work on the machine competes for the cores).")
    print()
    print(f"Bench runtime {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    asyncio.run(main())
