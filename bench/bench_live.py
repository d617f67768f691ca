"""Live protocol bench: event latency to members, fan-out to public viewers, state.json, memory.

    .venv/bin/python bench/bench_live.py          # ~4-6 minutes, prints a markdown table

Everything runs on 127.0.0.1. Servers are real daphne processes (like tests/live/test_multiprocess.py);
member clients run in this asyncio process, public viewers in a child process.

(a) member latency: 60 member sockets (seed_demo's 24 members + chair, reused) are synced; the chair
    (its own socket) sends `question.ask` ~200 times, paced; latency = time the *last* of the 60
    sockets received that `question.asked` event minus the time the chair sent the command.
    (i)  in-memory channel layer: one daphne, SQLite file DB, no REDIS_URL;
    (ii) Redis channel layer: two daphne processes for members (members and chair split across them),
         REDIS_URL=redis://127.0.0.1:6379/<free db, flushed>, fresh PostgreSQL DB (created, dropped).
(b) public fan-out: 1,000 viewers on stack (i) (the embedded default: members and viewers share
    the one daphne), then 1,000 and 5,000 on stack (ii), where a third daphne serves only
    /ws/public/ (as production routes it). The viewers' sockets live in a child process, so the
    bench's member sockets do not wait behind thousands of viewer frames in one client loop.
    Per chair action: the time until the last viewer received the public event, and the
    members' latency measured at the same time.
    HTTP GET /public/meetings/<id>/state.json per second, with and without If-None-Match.
(c) memory: daphne RSS before/after N connections, divided by N.

Environment: BENCH_VIEWERS (default "1000,5000"), BENCH_ACTIONS (200), BENCH_PUBLIC_ACTIONS (20),
BENCH_PUBLIC_PACE (s between public actions, 1.0), BENCH_TIME_LIMIT (s, 420).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
ORIGIN = "http://127.0.0.1"
VIEWERS = [int(x) for x in os.environ.get("BENCH_VIEWERS", "1000,5000").split(",") if x]
ACTIONS = int(os.environ.get("BENCH_ACTIONS", 200))
MEMBER_SOCKETS = 60
TIME_LIMIT = int(os.environ.get("BENCH_TIME_LIMIT", 420))
PACE = 0.06  # s between chair commands: stays under the per-socket rate limit (20/s)
# The public fan-out is paced like a busy meeting (an event a second), not like the members' latency
# run: at 16 events/s, 5,000 viewers would need 80,000 frames/s, which measures the backlog of the
# one Python client process holding the viewer sockets, not how fast an event reaches the public.
PUBLIC_PACE = float(os.environ.get("BENCH_PUBLIC_PACE", 1.0))
PUBLIC_ACTIONS = int(os.environ.get("BENCH_PUBLIC_ACTIONS", 20))

_procs: list[subprocess.Popen] = []
_cleanups: list = []


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def cleanup() -> None:
    for p in _procs:
        if p.poll() is None:
            p.terminate()
    for p in _procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    _procs.clear()
    while _cleanups:
        try:
            _cleanups.pop()()
        except Exception as exc:  # noqa: BLE001
            log("cleanup failed:", exc)


def _timeout(signum, frame):  # noqa: ARG001
    log(f"bench_live: hard time limit of {TIME_LIMIT} s reached")
    cleanup()
    os._exit(3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


# ---------------------------------------------------------------- servers


TOKEN_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from meetings import demo
meeting, _ = demo.seed()
out = {}
for user in get_user_model().objects.filter(username__regex=r"^(ordforer|varaordforer|medlem[0-9]+)$"):
    out[user.username] = Token.objects.get_or_create(user=user)[0].key
print("BENCH" + json.dumps({"tokens": out, "meeting": meeting.id}))
"""


def start_stack(env: dict[str, str], n_procs: int) -> dict:
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    seed = subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, timeout=180, capture_output=True,
                          text=True).stdout
    import re

    today = int(re.search(r"Today's meeting: /meetings/(\d+)/", seed).group(1))
    res = subprocess.run([*manage, "shell", "-c", TOKEN_SCRIPT], cwd=ROOT, env=env, timeout=60,
                         capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"token script failed: {res.stderr[-2000:]}")
    out = res.stdout
    info = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH"))[5:])
    ports, procs = [], []
    for _ in range(n_procs):
        port = free_port()
        p = subprocess.Popen([PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _procs.append(p)
        ports.append(port)
        procs.append(p)
    for port in ports:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"daphne on {port} did not start")
    info["meeting"] = today
    return {"ports": ports, "procs": procs, **info}


def stop_stack(stack: dict) -> None:
    for p in stack["procs"]:
        p.terminate()
    for p in stack["procs"]:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        if p in _procs:
            _procs.remove(p)


def base_env() -> dict[str, str]:
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "MEDIA_IN_PROCESS": "0",
           "LIVESTREAM_ENABLED": "0", "WS_RATE_PER_SECOND": "50", "WS_RATE_BURST": "100"}
    for k in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL", "SQLITE_PATH"):
        env.pop(k, None)
    return env


def memory_env() -> dict[str, str]:
    tmp = tempfile.mkdtemp(prefix="bench-live-")
    env = base_env()
    env["SQLITE_PATH"] = os.path.join(tmp, "live.sqlite3")
    import shutil

    _cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    return env


def redis_env() -> dict[str, str]:
    import psycopg
    import redis

    # A free Redis db index, claimed atomically (tests and other benches pick free dbs too, and a
    # db two runs both took for empty would have its groups flushed under it).
    db = None
    for idx in range(15, 0, -1):
        r = redis.Redis.from_url(f"redis://127.0.0.1:6379/{idx}", socket_timeout=2)
        if r.set("council-bench:claim", str(os.getpid()), nx=True, ex=3600):
            if r.dbsize() == 1:
                db = idx
                break
            r.delete("council-bench:claim")
    if db is None:
        raise RuntimeError("no empty Redis db index")
    name = f"council_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}").flushdb()

    _cleanups.append(drop)
    env = base_env()
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    env["REDIS_URL"] = f"redis://127.0.0.1:6379/{db}"
    return env


# ---------------------------------------------------------------- clients


class Member:
    """A synced member socket that timestamps every `question.asked` by its marker."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.seen: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future] = {}
        self.replies: dict[str, asyncio.Future] = {}

    async def start(self) -> None:
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
        assert hello["type"] == "hello", hello
        await self.ws.send(json.dumps({"type": "sync", "id": "s", "payload": {"after": 0}}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if msg.get("in_response") == "s":
                break
        self.task = asyncio.create_task(self.reader())

    async def reader(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                if '"question.asked"' in raw:
                    msg = json.loads(raw)
                    marker = msg["payload"]["text"]
                    self.seen[marker] = now
                    fut = self.waiters.pop(marker, None)
                    if fut and not fut.done():
                        fut.set_result(now)
                elif '"in_response"' in raw:
                    msg = json.loads(raw)
                    fut = self.replies.pop(msg.get("in_response"), None)
                    if fut and not fut.done():
                        fut.set_result(msg)
        except Exception:  # noqa: BLE001 - connection closed at the end
            pass

    def wait_for(self, marker: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        if marker in self.seen:
            fut.set_result(self.seen[marker])
        else:
            self.waiters[marker] = fut
        return fut

    async def call(self, type: str, rid: str, **payload) -> dict:
        fut = asyncio.get_running_loop().create_future()
        self.replies[rid] = fut
        await self.ws.send(json.dumps({"type": type, "id": rid, "payload": payload}))
        return await asyncio.wait_for(fut, 20)


def viewer_pool_main(conn, urls: list[str]) -> None:
    """Child process: hold the public viewer sockets, so that the bench's member sockets and the
    viewers do not share one client event loop (that would measure the client, not the server)."""
    asyncio.run(_viewer_pool(conn, urls))


async def _viewer_pool(conn, urls: list[str]) -> None:
    loop = asyncio.get_running_loop()
    arrivals: dict[str, list] = {}  # marker -> [viewers that got it, time the last one did]

    async def reader(ws) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the parent's clock
                i = raw.find('"text":"bench-')
                if i >= 0:
                    marker = raw[i + 8: raw.index('"', i + 8)]
                    seen = arrivals.setdefault(marker, [0, 0.0])
                    seen[0] += 1
                    seen[1] = max(seen[1], now)
        except Exception:  # noqa: BLE001 - closed at the end
            pass

    sockets = []
    t0 = time.perf_counter()
    try:
        for i in range(0, len(urls), 100):
            wss = await asyncio.gather(*(connect(u) for u in urls[i:i + 100]))
            firsts = await asyncio.gather(*(asyncio.wait_for(ws.recv(), 60) for ws in wss))
            assert all('"state"' in f[:40] for f in firsts), firsts[0][:200]
            sockets.extend(wss)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("failed", f"{type(exc).__name__}: {exc} ({len(sockets)} of {len(urls)} connected)"))
        return
    tasks = [asyncio.create_task(reader(ws)) for ws in sockets]
    conn.send(("connected", time.perf_counter() - t0))
    while True:
        cmd = await loop.run_in_executor(None, conn.recv)
        if cmd == "report":
            conn.send({m: t for m, (n, t) in arrivals.items() if n >= len(sockets)})
        else:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            for task in tasks:
                task.cancel()
            conn.send("bye")
            return


class ViewerPool:
    def __init__(self, urls: list[str]) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=viewer_pool_main, args=(child, urls), daemon=True)
        self.proc.start()
        self.n = len(urls)

    async def connected(self, timeout: float) -> float:
        loop = asyncio.get_running_loop()
        ready = await asyncio.wait_for(loop.run_in_executor(None, self.conn.recv), timeout)
        if ready[0] != "connected":
            raise TimeoutError(f"viewers did not connect: {ready[1]}")
        return ready[1]

    async def last_arrivals(self, markers: list[str], timeout: float) -> dict[str, float]:
        """Per marker, when the last viewer received it (waits until every viewer has every marker)."""
        loop = asyncio.get_running_loop()
        deadline = time.perf_counter() + timeout
        while True:
            self.conn.send("report")
            got = await loop.run_in_executor(None, self.conn.recv)
            if all(m in got for m in markers) or time.perf_counter() > deadline:
                return got
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self.conn.send("close")
            await asyncio.wait_for(loop.run_in_executor(None, self.conn.recv), 30)
        except Exception:  # noqa: BLE001
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


async def connect(url: str):
    import websockets

    return await websockets.connect(url, origin=ORIGIN, compression=None, open_timeout=60, ping_interval=None,
                                    max_size=2**24)


async def connect_members(stack: dict, n: int) -> tuple[Member, list[Member]]:
    users = sorted(stack["tokens"])
    members_users = [u for u in users if u != "ordforer"] + ["ordforer"]
    ports, m = stack.get("member_ports", stack["ports"]), stack["meeting"]
    chair = Member(await connect(f"ws://127.0.0.1:{ports[0]}/ws/meetings/{m}/?token={stack['tokens']['ordforer']}"))
    await chair.start()
    members = []
    for i in range(n):
        u = members_users[i % len(members_users)]
        port = ports[i % len(ports)]
        members.append(Member(await connect(f"ws://127.0.0.1:{port}/ws/meetings/{m}/?token={stack['tokens'][u]}")))
    await asyncio.gather(*(x.start() for x in members))
    return chair, members


async def open_meeting(chair: Member) -> None:
    r = await chair.call("meeting.open", "open")
    if r["type"] != "ack":
        log("meeting.open:", r)
    r = await chair.call("member.join", "join")
    if r["type"] != "ack":
        log("member.join:", r)


async def chair_actions(chair: Member, members: list[Member], n: int, tag: str,
                        timeout: float = 30.0, pace: float = PACE) -> tuple[list[float], dict[str, float]]:
    """n paced `question.ask`s; per action the latency to the last member, and when each was sent."""
    lat, sent = [], {}
    for k in range(n):
        marker = f"bench-{tag}-{k}"
        mf = [m.wait_for(marker) for m in members]
        t0 = time.perf_counter()
        sent[marker] = t0
        await chair.ws.send(json.dumps({"type": "question.ask", "id": f"q{tag}{k}", "payload": {"text": marker}}))
        done = await asyncio.wait_for(asyncio.gather(*mf), timeout)
        lat.append(max(done) - t0)
        rest = pace - (time.perf_counter() - t0)
        if rest > 0:
            await asyncio.sleep(rest)
    return lat, sent


def rss(stack: dict) -> int:
    import psutil

    return sum(psutil.Process(p.pid).memory_info().rss for p in stack["procs"])


async def http_rate(port: int, path: str, etag: str | None, seconds: float = 4.0, conns: int = 16) -> float:
    """Keep-alive HTTP/1.1 GETs from `conns` connections for `seconds`; returns completed requests/s."""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n" + (f"If-None-Match: {etag}\r\n" if etag else "") + "\r\n"
    req = head.encode()
    count = 0
    stop = time.perf_counter() + seconds
    statuses: dict[str, int] = {}

    async def worker() -> None:
        nonlocal count
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                writer.write(req)
                status = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    k, _, v = line.decode().partition(":")
                    if k.lower() == "content-length":
                        length = int(v)
                if length:
                    await reader.readexactly(length)
                code = status.split()[1].decode()
                statuses[code] = statuses.get(code, 0) + 1
                count += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    rate = count / (time.perf_counter() - t0)
    log(f"  GET {path} etag={etag!r}: {statuses}")
    return rate


async def fetch_etag(port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"etag:"):
            return line.split(b":", 1)[1].strip().decode()
    raise RuntimeError(f"no ETag: {data[:300]!r}")


# ---------------------------------------------------------------- scenarios


async def scenario_latency(stack: dict, label: str, rows: list, mem_rows: list) -> tuple[Member, list[Member]]:
    before = rss(stack)
    chair, members = await connect_members(stack, MEMBER_SOCKETS)
    await asyncio.sleep(0.5)
    after = rss(stack)
    mem_rows.append((label, f"{MEMBER_SOCKETS + 1} member sockets", (after - before) / (MEMBER_SOCKETS + 1)))
    await open_meeting(chair)
    await chair_actions(chair, members, 10, f"{label}-warm")
    lat, _ = await chair_actions(chair, members, ACTIONS, label)
    rows.append((label, ACTIONS, statistics.median(lat) * 1000, pctl(lat, 0.99) * 1000, max(lat) * 1000))
    log(f"{label}: p50 {statistics.median(lat) * 1000:.1f} ms p99 {pctl(lat, 0.99) * 1000:.1f} ms")
    return chair, members


async def scenario_public(stack: dict, chair: Member, members: list[Member], n: int, label: str,
                          fan_rows: list, mem_rows: list, deadline: float, ports: list[int]) -> ViewerPool:
    """n public viewers (in a child process) on `ports`; members' latency while events fan out."""
    m = stack["meeting"]
    before = rss(stack)
    urls = [f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/public/meetings/{m}/" for i in range(n)]
    pool = ViewerPool(urls)
    connect_s = await pool.connected(timeout=max(30.0, deadline - time.time()))
    await asyncio.sleep(1.0)
    after = rss(stack)
    mem_rows.append((label, f"{n} public sockets", (after - before) / n))
    actions = PUBLIC_ACTIONS
    lat, sent = await chair_actions(chair, members, actions, f"{label}-pub{n}", timeout=60, pace=PUBLIC_PACE)
    last = await pool.last_arrivals(list(sent), timeout=60)
    vlat = [last[m] - t0 for m, t0 in sent.items() if m in last]
    if len(vlat) < len(sent):
        raise TimeoutError(f"{len(sent) - len(vlat)} of {len(sent)} events never reached every viewer")
    fan_rows.append((label, n, connect_s, actions, statistics.median(vlat) * 1000, pctl(vlat, 0.99) * 1000,
                     statistics.median(lat) * 1000, pctl(lat, 0.99) * 1000))
    log(f"{label} {n} viewers: connect {connect_s:.1f} s, last viewer p50 {statistics.median(vlat) * 1000:.0f} ms, "
        f"members p99 {pctl(lat, 0.99) * 1000:.1f} ms")
    return pool


async def close_all(socks) -> None:
    await asyncio.gather(*(s.ws.close() for s in socks), return_exceptions=True)


async def main_async() -> int:
    start = time.time()
    deadline = start + TIME_LIMIT - 45
    lat_rows: list = []
    fan_rows: list = []
    mem_rows: list = []
    http_rows: list = []
    notes: list[str] = []

    # (i) in-memory layer, one daphne, SQLite
    log("stack (i): in-memory layer, SQLite, one daphne")
    stack = start_stack(memory_env(), 1)
    try:
        chair, members = await scenario_latency(stack, "in-memory, 1 daphne, SQLite", lat_rows, mem_rows)
        # public fan-out on the single process too, 1,000 viewers only (quick comparison)
        if VIEWERS:
            pool = await scenario_public(stack, chair, members, VIEWERS[0], "in-memory, 1 daphne, SQLite",
                                         fan_rows, mem_rows, deadline, stack["ports"])
            await pool.close()
        await close_all([chair, *members])
    finally:
        stop_stack(stack)

    # (ii) Redis layer, PostgreSQL: two daphne processes for members (the meeting is shared between
    # them through Redis) and a third that serves only the public, as production routes
    # /ws/public/ to its own pool so that viewers never share an event loop with the members.
    log("stack (ii): Redis layer, PostgreSQL, two member daphne + one public daphne")
    stack = start_stack(redis_env(), 3)
    stack["member_ports"], public_ports = stack["ports"][:2], stack["ports"][2:]
    label = "Redis, PostgreSQL, 2 member daphne + 1 public daphne"
    try:
        chair, members = await scenario_latency(stack, label, lat_rows, mem_rows)
        path = f"/public/meetings/{stack['meeting']}/state.json"
        etag = await fetch_etag(public_ports[0], path)
        for with_etag in (False, True):
            rate = await http_rate(public_ports[0], path, etag if with_etag else None)
            http_rows.append((label + ", one process", "If-None-Match (304)" if with_etag else "plain (200)", rate))
        pool: ViewerPool | None = None
        for n in VIEWERS:
            if time.time() > deadline - 60:
                notes.append(f"{n} viewers skipped: time limit")
                continue
            try:
                if pool is not None:
                    await pool.close()
                    pool = None
                pool = await scenario_public(stack, chair, members, n, label, fan_rows, mem_rows, deadline,
                                             public_ports)
            except (TimeoutError, asyncio.TimeoutError, OSError) as exc:
                notes.append(f"{n} viewers on {label}: not completed ({type(exc).__name__}: {exc})")
                log(notes[-1])
                break
        if pool is not None:
            await pool.close()
        await close_all([chair, *members])
    finally:
        stop_stack(stack)

    # ---------------------------------------------------------------- report
    base = {r[0]: r[3] for r in lat_rows}
    print()
    print(f"### (a) Event latency, chair `question.ask` -> last of {MEMBER_SOCKETS} member sockets "
          f"({ACTIONS} actions, ms)")
    print()
    print("| stack | actions | p50 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    for label_, n, p50, p99, mx in lat_rows:
        print(f"| {label_} | {n} | {p50:.1f} | {p99:.1f} | {mx:.1f} |")
    print()
    print(f"### (b) Public fan-out: chair action -> last public viewer; members' latency meanwhile "
          f"({PUBLIC_ACTIONS} actions, one every {PUBLIC_PACE:g} s, ms)")
    print()
    print("| stack | viewers | connect all (s) | last viewer p50 | last viewer p99 | members p50 | members p99 "
          "| members p99 vs idle |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label_, n, cs, _, vp50, vp99, mp50, mp99 in fan_rows:
        ratio = mp99 / base[label_] if base.get(label_) else float("nan")
        verdict = "ok" if ratio <= 2 else "OVER 2x"
        print(f"| {label_} | {n} | {cs:.1f} | {vp50:.0f} | {vp99:.0f} | {mp50:.1f} | {mp99:.1f} "
              f"| {ratio:.1f}x ({verdict}) |")
    print()
    print("| state.json | request | GET/s (16 keep-alive connections) |")
    print("|---|---|---:|")
    for label_, kind, rate in http_rows:
        print(f"| {label_} | {kind} | {rate:.0f} |")
    print()
    print("### (c) Memory per connection (daphne RSS delta / connections, all daphne processes of the stack)")
    print()
    print("| stack | connections | KiB per connection |")
    print("|---|---|---:|")
    for label_, what, per in mem_rows:
        print(f"| {label_} | {what} | {per / 1024:.1f} |")
    for n in notes:
        print(f"\nNote: {n}")
    print(f"\nTotal run time {time.time() - start:.0f} s.")
    return 0


def main() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(TIME_LIMIT)
    try:
        return asyncio.run(main_async())
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
