"""Live protocol bench: event latency to members, fan-out to public viewers, state reads, memory.

    .venv/bin/python bench/bench_live.py --help
    .venv/bin/python bench/bench_live.py                    # both stacks, both client behaviours
    .venv/bin/python bench/bench_live.py --stacks memory    # the embedded default only (no PostgreSQL/Redis)

Everything runs on 127.0.0.1 and stops by itself (a hard time limit). Servers are real daphne
processes (like tests/integration/test_multiprocess.py) running `bench.live_counters:application`, the
project's application with counters of state reads; member clients run in this asyncio process,
public viewers in a child process.

Two client behaviours, side by side in one run (`--clients`):
  refetch  the pages before state patches: a member asks for the whole live state (`state`) after
           every event, a viewer fetches `state.json` after every event (at once: the old pages also
           waited 80 / 150 ms first, which is the page's timer, not the server's cost);
  fold     the pages now: each event's `state_patch` is folded into the state held (fold.js); the
           whole state is read once, on connect, and again only after a gap.
A member's (viewer's) latency is the time from the chair sending the command until the member
holds a state that includes its event: the patched state, or the `state` (state.json) reply.

(a) member latency: 60 member sockets (seed_demo's 24 members + chair, reused) are synced; the chair
    (its own socket) sends `question.ask` ~200 times, paced; latency = until the *last* of the 60
    sockets holds a state with that event.
    (i)  in-memory channel layer: one daphne, SQLite file DB, no REDIS_URL;
    (ii) Redis channel layer: two daphne processes for members (members and chair split across them),
         REDIS_URL=redis://127.0.0.1:6379/<free db, flushed>, fresh PostgreSQL DB (created, dropped).
(b) public fan-out: 1,000 viewers on stack (i) (the embedded default: members and viewers share
    the one daphne), then 1,000 and 5,000 on stack (ii), where a third daphne serves only
    /ws/public/ (as production routes it). The viewers' sockets live in a child process, so the
    bench's member sockets do not wait behind thousands of viewer frames in one client loop.
    Per chair action: the time until the last viewer holds a document with the event, and the
    members' latency measured at the same time.
    HTTP GET /public/meetings/<id>/state.json per second, with and without If-None-Match.
(c) memory: daphne RSS before/after N connections, divided by N.
(d) state reads per event, from the server's counters: SQL reads of `live_state` (the writer's own,
    under the meeting lock, and all others) and `state.json` requests, with the bytes the members
    received per event.

Environment (the flags override): BENCH_VIEWERS (default "1000,5000"), BENCH_ACTIONS (200),
BENCH_PUBLIC_ACTIONS (20; 10 for refetching viewers, each of whose events costs one state.json per
viewer), BENCH_PUBLIC_PACE (s between public actions, 1.0), BENCH_TIME_LIMIT (s, 560: under
bench/run.py's 600; a phase that would not fit is skipped and said so, and a run that hits the
limit still prints what it measured).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import loopback  # noqa: E402
from bench.loopback import free_port, read_response, wait_for_port  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
ORIGIN = "http://127.0.0.1"
VIEWERS = [int(x) for x in os.environ.get("BENCH_VIEWERS", "1000,5000").split(",") if x]
ACTIONS = int(os.environ.get("BENCH_ACTIONS", 200))
MEMBER_SOCKETS = 60
TIME_LIMIT = int(os.environ.get("BENCH_TIME_LIMIT", 560))
STACKS = ["memory", "redis"]
CLIENTS = ["refetch", "fold"]
APP = "bench.live_counters:application"
PACE = 0.06  # s between chair commands: stays under the per-socket rate limit (20/s)
# The public fan-out is paced like a busy meeting (an event a second), not like the members' latency
# run: at 16 events/s, 5,000 viewers would need 80,000 frames/s, which measures the backlog of the
# one Python client process holding the viewer sockets, not how fast an event reaches the public.
PUBLIC_PACE = float(os.environ.get("BENCH_PUBLIC_PACE", 1.0))
PUBLIC_ACTIONS = int(os.environ.get("BENCH_PUBLIC_ACTIONS", 20))
REFETCH_PUBLIC_ACTIONS = int(os.environ.get("BENCH_REFETCH_PUBLIC_ACTIONS", 10))
_out: dict = {"lat": [], "fan": [], "mem": [], "http": [], "reads": [], "notes": []}
_start = time.time()

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
    _out["notes"].append(f"stopped at the hard time limit of {TIME_LIMIT} s: the tables are what was measured")
    try:
        report(_out, _start)
    except Exception as exc:  # noqa: BLE001 - the servers must still be stopped
        log("report failed:", exc)
    cleanup()
    os._exit(3)


def pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


# ---------------------------------------------------------------- servers


TOKEN_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from meetings.services.tokens import token_create
from meetings import demo
meeting, _ = demo.seed()
out = {}
for user in get_user_model().objects.filter(username__regex=r"^(ordforer|varaordforer|medlem[0-9]+)$"):
    out[user.username] = token_create(user=user, label="bench")[1]
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
        p = subprocess.Popen([PY, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), APP],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _procs.append(p)
        ports.append(port)
        procs.append(p)
    for port in ports:
        wait_for_port(port)
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
    # DEBUG=0 as in production, on the demo council: DEMO_SITE=1 lets seed_demo and daphne run with its logins.
    env = {**os.environ, "DEBUG": "0", "DEMO_SITE": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "MEDIA_IN_PROCESS": "0", "LIVESTREAM_ENABLED": "0", "WS_RATE_PER_SECOND": "50", "WS_RATE_BURST": "100"}
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


SEQ = re.compile(r'"seq":\s*(\d+)')


def _apply(doc, ops):
    """meetings/state_patch.apply without importing Django into the client process (fold.js's rules)."""
    for op in ops:
        if op["path"] == "":
            doc = op["value"]
            continue
        keys = [k.replace("~1", "/").replace("~0", "~") for k in op["path"][1:].split("/")]
        target = doc
        for key in keys[:-1]:
            target = target[key]
        if op["op"] == "remove":
            del target[keys[-1]]
        elif isinstance(target, list) and keys[-1] == "-":
            target.append(op["value"])
        else:
            target[keys[-1]] = op["value"]
    return doc


class Member:
    """A synced member socket behaving like the room page (`mode`: "fold" or "refetch"), which
    timestamps when it holds a state including each `question.asked` (by its marker)."""

    def __init__(self, ws, mode: str = "fold") -> None:
        self.ws = ws
        self.mode = mode
        self.seen: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future] = {}
        self.replies: dict[str, asyncio.Future] = {}
        self.state: dict | None = None
        self.seq = 0
        self.pending: list[tuple[int, str]] = []  # (seq, marker) not yet in the state held
        self.fetching = self.again = False
        self.requests = self.reloads = self.bytes = 0

    async def start(self) -> None:
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
        assert hello["type"] == "hello", hello
        await self.ws.send(json.dumps({"type": "sync", "id": "s", "payload": {"after": 0}}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if msg.get("in_response") == "s":
                break
        # The page's one read of the whole state, on connect (both behaviours).
        await self.ws.send(json.dumps({"type": "state", "id": "st0", "payload": {}}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if msg.get("in_response") == "st0":
                self.state, self.seq = msg["state"], msg["seq"]
                break
        self.task = asyncio.create_task(self.reader())

    def _holds(self, now: float) -> None:
        """Markers whose events are now in the state held."""
        keep = []
        for seq, marker in self.pending:
            if seq <= self.seq:
                self.seen[marker] = now
                fut = self.waiters.pop(marker, None)
                if fut and not fut.done():
                    fut.set_result(now)
            else:
                keep.append((seq, marker))
        self.pending = keep

    async def _ask_state(self) -> None:
        if self.fetching:
            self.again = True  # one request in flight at a time, like the debounced page
            return
        self.fetching, self.again = True, False
        self.requests += 1
        await self.ws.send(json.dumps({"type": "state", "id": f"st{self.requests}", "payload": {}}))

    async def reader(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                self.bytes += len(raw)
                head = raw[:60]
                if '"type":"event"' in head:
                    msg = json.loads(raw)
                    if msg["event"] == "question.asked":
                        self.pending.append((msg["seq"], msg["payload"]["text"]))
                    if self.mode == "refetch":
                        await self._ask_state()
                    elif self.fetching:
                        pass  # the whole state on its way includes this event
                    elif msg["seq"] > self.seq:
                        if "state_patch" in msg and msg["seq"] == self.seq + 1:
                            self.state = _apply(self.state, msg["state_patch"])
                            self.seq = msg["seq"]
                        else:
                            self.reloads += 1
                            await self._ask_state()
                    self._holds(now)
                elif '"type":"state"' in head and '"in_response":"st' in head:
                    if self.mode == "refetch":
                        self.seq = max(self.seq, int(SEQ.search(raw).group(1)))  # the page renders it whole
                    else:
                        msg = json.loads(raw)
                        self.state, self.seq = msg["state"], msg["seq"]
                    self.fetching = False
                    self._holds(now)
                    if self.again:
                        await self._ask_state()
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


def viewer_pool_main(conn, urls: list[str], mode: str) -> None:
    """Child process: hold the public viewer sockets, so that the bench's member sockets and the
    viewers do not share one client event loop (that would measure the client, not the server)."""
    asyncio.run(_viewer_pool(conn, urls, mode))


class _Viewer:
    """One public page: folds each event's `state_patch` into its document, or (refetch) fetches
    state.json after each event over its own keep-alive HTTP connection."""

    def __init__(self, ws, url: str, mode: str, arrivals: dict) -> None:
        self.ws, self.mode, self.arrivals = ws, mode, arrivals
        port = int(url.split(":")[2].split("/")[0])
        self.port, self.path = port, url.split(str(port), 1)[1].replace("/ws/public/", "/public/") + "state.json"
        self.doc: dict | None = None
        self.seq = 0
        self.pending: list[tuple[int, str]] = []
        self.fetching = self.again = False
        self.http = None
        self.fetches = self.reloads = 0

    def adopt_first(self, raw: str) -> None:
        msg = json.loads(raw)
        self.doc, self.seq = msg["state"], msg["seq"]

    def holds(self, now: float) -> None:
        keep = []
        for seq, marker in self.pending:
            if seq <= self.seq:
                seen = self.arrivals.setdefault(marker, [0, 0.0])
                seen[0] += 1
                seen[1] = max(seen[1], now)
            else:
                keep.append((seq, marker))
        self.pending = keep

    async def fetch(self) -> None:
        if self.fetching:
            self.again = True
            return
        self.fetching = True
        try:
            while True:
                self.again = False
                self.fetches += 1
                if self.http is None:
                    self.http = await asyncio.open_connection("127.0.0.1", self.port)
                reader, writer = self.http
                writer.write(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                             "Cache-Control: no-cache\r\n\r\n".encode())
                body = (await read_response(reader))[1].decode()
                match = SEQ.search(body[:40])
                if match:
                    self.seq = max(self.seq, int(match.group(1)))  # the page renders the document whole
                self.holds(time.perf_counter())
                if not self.again:
                    break
        finally:
            self.fetching = False

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the parent's clock
                if raw.startswith('{"type":"state"'):
                    msg = json.loads(raw)
                    if msg["state"] is not None:
                        self.doc, self.seq = msg["state"], msg["seq"]
                    self.fetching = False
                    self.holds(now)
                    continue
                msg = json.loads(raw)
                if msg.get("type") != "event":
                    continue
                text = (msg.get("payload") or {}).get("text", "")
                if text.startswith("bench-"):
                    self.pending.append((msg["seq"], text))
                if self.mode == "refetch":
                    asyncio.ensure_future(self.fetch())
                    continue
                if self.fetching or msg["seq"] <= self.seq:
                    continue
                prev = msg.get("prev_public_seq")
                if "state_patch" in msg and prev is not None and prev <= self.seq:
                    self.doc = _apply(self.doc, msg["state_patch"])
                    self.seq = msg["seq"]
                    self.holds(now)
                else:  # a gap, or a replayed event: the socket's document once more
                    self.reloads += 1
                    self.fetching = True
                    await self.ws.send(json.dumps({"type": "state", "id": "r", "payload": {}}))
        except Exception:  # noqa: BLE001 - closed at the end
            pass


async def _viewer_pool(conn, urls: list[str], mode: str) -> None:
    loop = asyncio.get_running_loop()
    arrivals: dict[str, list] = {}  # marker -> [viewers that hold it, time the last one did]
    viewers: list[_Viewer] = []
    t0 = time.perf_counter()
    try:
        for i in range(0, len(urls), 100):
            batch = urls[i:i + 100]
            wss = await asyncio.gather(*(connect(u) for u in batch))
            firsts = await asyncio.gather(*(asyncio.wait_for(ws.recv(), 60) for ws in wss))
            assert all('"state"' in f[:40] for f in firsts), firsts[0][:200]
            for ws, url, first in zip(wss, batch, firsts, strict=True):
                viewer = _Viewer(ws, url, mode, arrivals)
                viewer.adopt_first(first)
                viewers.append(viewer)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("failed", f"{type(exc).__name__}: {exc} ({len(viewers)} of {len(urls)} connected)"))
        return
    tasks = [asyncio.create_task(v.run()) for v in viewers]
    conn.send(("connected", time.perf_counter() - t0))
    while True:
        cmd = await loop.run_in_executor(None, conn.recv)
        if cmd == "report":
            conn.send({m: t for m, (n, t) in arrivals.items() if n >= len(viewers)})
        elif cmd == "stats":
            conn.send({"fetches": sum(v.fetches for v in viewers), "reloads": sum(v.reloads for v in viewers)})
        elif cmd == "verify":  # after the run: how many viewers hold exactly what state.json serves now
            reader, writer = await asyncio.open_connection("127.0.0.1", viewers[0].port)
            writer.write(f"GET {viewers[0].path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                         "Connection: close\r\n\r\n".encode())
            served = json.loads((await reader.read()).split(b"\r\n\r\n", 1)[1])
            writer.close()
            conn.send(sum(v.doc == served for v in viewers))
        else:
            await asyncio.gather(*(v.ws.close() for v in viewers), return_exceptions=True)
            for v in viewers:
                if v.http is not None:
                    v.http[1].close()
            for task in tasks:
                task.cancel()
            conn.send("bye")
            return


class ViewerPool:
    def __init__(self, urls: list[str], mode: str = "fold") -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=viewer_pool_main, args=(child, urls, mode), daemon=True)
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

    async def stats(self) -> dict:
        loop = asyncio.get_running_loop()
        self.conn.send("stats")
        return await asyncio.wait_for(loop.run_in_executor(None, self.conn.recv), 30)

    async def verify(self) -> int:
        loop = asyncio.get_running_loop()
        self.conn.send("verify")
        return await asyncio.wait_for(loop.run_in_executor(None, self.conn.recv), 60)

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


async def connect_members(stack: dict, n: int, mode: str = "fold") -> tuple[Member, list[Member]]:
    users = sorted(stack["tokens"])
    members_users = [u for u in users if u != "ordforer"] + ["ordforer"]
    ports, m = stack.get("member_ports", stack["ports"]), stack["meeting"]
    chair = Member(await connect(f"ws://127.0.0.1:{ports[0]}/ws/meetings/{m}/?token={stack['tokens']['ordforer']}"),
                   mode)
    await chair.start()
    members = []
    for i in range(n):
        u = members_users[i % len(members_users)]
        port = ports[i % len(ports)]
        members.append(Member(await connect(f"ws://127.0.0.1:{port}/ws/meetings/{m}/?token={stack['tokens'][u]}"),
                              mode))
    await asyncio.gather(*(x.start() for x in members))
    return chair, members


async def open_meeting(chair: Member) -> None:
    r = await chair.call("meeting.open", "open")
    if r["type"] != "ack" and r.get("error", {}).get("code") != "illegal_transition":  # open since the last run
        log("meeting.open:", r)
    r = await chair.call("member.join", "join")
    if r["type"] != "ack":
        log("member.join:", r)


async def counters(stack: dict) -> dict[str, int]:
    """The read counters of every daphne process of the stack (bench/live_counters.py), summed."""
    total: dict[str, int] = {}
    for port in stack["ports"]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /__bench__/counters HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        for k, v in json.loads(data.split(b"\r\n\r\n", 1)[1]).items():
            total[k] = total.get(k, 0) + v
    return total


async def verify_members(members: list[Member]) -> int:
    """How many folding members hold exactly the server's live state now (a `state` each, after the run)."""
    same = 0
    for i, m in enumerate(members):
        r = await m.call("state", f"verify{i}")
        same += r["seq"] == m.seq and r["state"] == m.state
    return same


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


async def etag_rate(port: int, path: str, etag: str | None, seconds: float = 4.0, conns: int = 16) -> float:
    """Keep-alive HTTP/1.1 GETs from `conns` connections for `seconds`; returns completed requests/s."""
    headers = "X-Forwarded-Proto: https\r\n" + (f"If-None-Match: {etag}\r\n" if etag else "")
    rate, statuses = await loopback.http_rate(port, path, headers=headers, seconds=seconds, conns=conns)
    log(f"  GET {path} etag={etag!r}: {statuses}")
    return rate


async def fetch_etag(port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                 "Connection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"etag:"):
            return line.split(b":", 1)[1].strip().decode()
    raise RuntimeError(f"no ETag: {data[:300]!r}")


# ---------------------------------------------------------------- scenarios


def per_event(c0: dict, c1: dict, events: int) -> dict[str, float]:
    return {k: (c1[k] - c0.get(k, 0)) / events for k in c1}


async def scenario_latency(stack: dict, label: str, mode: str, rows: list, mem_rows: list, reads_rows: list,
                           notes: list) -> tuple[Member, list[Member]]:
    before = rss(stack)
    chair, members = await connect_members(stack, MEMBER_SOCKETS, mode)
    await asyncio.sleep(0.5)
    after = rss(stack)
    if mode == CLIENTS[0]:  # the second behaviour reuses the memory the first one grew
        mem_rows.append((label, f"{MEMBER_SOCKETS + 1} member sockets", (after - before) / (MEMBER_SOCKETS + 1)))
    await open_meeting(chair)
    await chair_actions(chair, members, 10, f"{label}-{mode}-warm")
    c0, b0 = await counters(stack), sum(m.bytes for m in members)
    reloads0 = sum(m.reloads for m in members)
    lat, _ = await chair_actions(chair, members, ACTIONS, f"{label}-{mode}")
    await asyncio.sleep(0.5)  # the last refetches land
    c1, b1 = await counters(stack), sum(m.bytes for m in members)
    rows.append((label, mode, ACTIONS, statistics.median(lat) * 1000, pctl(lat, 0.99) * 1000, max(lat) * 1000))
    reads_rows.append((label, mode, f"{MEMBER_SOCKETS} members", ACTIONS, per_event(c0, c1, ACTIONS),
                       (b1 - b0) / ACTIONS / 1024, sum(m.reloads for m in members) - reloads0))
    if mode == "fold":
        same = await verify_members(members)
        notes.append(f"{label}, fold: {same} of {len(members)} members' folded state equals the server's live state "
                     f"after the run")
    log(f"{label} {mode}: p50 {statistics.median(lat) * 1000:.1f} ms p99 {pctl(lat, 0.99) * 1000:.1f} ms")
    return chair, members


async def scenario_public(stack: dict, chair: Member, members: list[Member], n: int, label: str, mode: str,
                          fan_rows: list, mem_rows: list, reads_rows: list, notes: list, deadline: float,
                          ports: list[int]) -> ViewerPool:
    """n public viewers (in a child process) on `ports`; members' latency while events fan out."""
    m = stack["meeting"]
    before = rss(stack)
    urls = [f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/public/meetings/{m}/" for i in range(n)]
    pool = ViewerPool(urls, mode)
    try:
        connect_s = await pool.connected(timeout=max(30.0, deadline - time.time()))
        await asyncio.sleep(1.0)
        after = rss(stack)
        if mode == CLIENTS[0]:  # the second behaviour reuses the memory the first one grew
            mem_rows.append((label, f"{n} public sockets", (after - before) / n))
        actions = PUBLIC_ACTIONS if mode == "fold" else min(PUBLIC_ACTIONS, REFETCH_PUBLIC_ACTIONS)
        c0, b0 = await counters(stack), sum(x.bytes for x in members)
        lat, sent = await chair_actions(chair, members, actions, f"{label}-{mode}-pub{n}", timeout=120,
                                        pace=PUBLIC_PACE)
        last = await pool.last_arrivals(list(sent), timeout=120)
        c1, b1 = await counters(stack), sum(x.bytes for x in members)
        stats = await pool.stats()
        vlat = [last[m] - t0 for m, t0 in sent.items() if m in last]
        if len(vlat) < len(sent):
            raise TimeoutError(f"{len(sent) - len(vlat)} of {len(sent)} events never reached every viewer")
        if mode == "fold":
            same = await pool.verify()
            notes.append(f"{label}, fold: {same} of {n} viewers' folded document equals state.json after the run")
    except BaseException:
        await pool.close()
        raise
    fan_rows.append((label, mode, n, connect_s, actions, statistics.median(vlat) * 1000, pctl(vlat, 0.99) * 1000,
                     statistics.median(lat) * 1000, pctl(lat, 0.99) * 1000))
    reads_rows.append((label, mode, f"{MEMBER_SOCKETS} members + {n} viewers", actions, per_event(c0, c1, actions),
                       (b1 - b0) / actions / 1024, stats["reloads"]))
    log(f"{label} {mode} {n} viewers: connect {connect_s:.1f} s, last viewer p50 {statistics.median(vlat) * 1000:.0f} "
        f"ms, members p99 {pctl(lat, 0.99) * 1000:.1f} ms")
    return pool


async def close_all(socks) -> None:
    await asyncio.gather(*(s.ws.close() for s in socks), return_exceptions=True)


async def run_modes(stack: dict, label: str, viewer_counts: list[int], public_ports: list[int], deadline: float,
                    out: dict, *, refetch_viewers: int) -> None:
    """Each client behaviour in turn on the same stack: members alone, then with public viewers."""
    for mode in CLIENTS:
        if time.time() > deadline - 60:
            out["notes"].append(f"{label}, {mode}: skipped (time limit)")
            continue
        chair, members = await scenario_latency(stack, label, mode, out["lat"], out["mem"], out["reads"], out["notes"])
        pool: ViewerPool | None = None
        try:
            for n in viewer_counts:
                if mode == "refetch" and n > refetch_viewers:
                    out["notes"].append(f"{n} viewers refetching on {label}: not run (one state.json per viewer "
                                        f"per event; the {refetch_viewers}-viewer row shows the cost)")
                    continue
                if time.time() > deadline - 60:
                    out["notes"].append(f"{n} viewers ({mode}) skipped: time limit")
                    continue
                if pool is not None:
                    await pool.close()
                    pool = None
                try:
                    pool = await scenario_public(stack, chair, members, n, label, mode, out["fan"], out["mem"],
                                                 out["reads"], out["notes"], deadline, public_ports)
                except (TimeoutError, OSError) as exc:
                    out["notes"].append(f"{n} viewers ({mode}) on {label}: not completed "
                                        f"({type(exc).__name__}: {exc})")
                    log(out["notes"][-1])
                    break
        finally:
            if pool is not None:
                await pool.close()
            await close_all([chair, *members])


def report(out: dict, start: float) -> None:
    lat_rows, fan_rows, mem_rows, http_rows, reads_rows = out["lat"], out["fan"], out["mem"], out["http"], out["reads"]
    base = {(r[0], r[1]): r[4] for r in lat_rows}
    print()
    print(f"### (a) Event latency, chair `question.ask` -> the last of {MEMBER_SOCKETS} member sockets holds a state "
          f"with it ({ACTIONS} actions, ms)")
    print()
    print("| stack | clients | actions | p50 | p99 | max |")
    print("|---|---|---:|---:|---:|---:|")
    for label_, mode, n, p50, p99, mx in lat_rows:
        print(f"| {label_} | {mode} | {n} | {p50:.1f} | {p99:.1f} | {mx:.1f} |")
    print()
    print(f"### (b) Public fan-out: chair action -> the last public viewer holds a document with it; members' latency "
          f"meanwhile (one action every {PUBLIC_PACE:g} s, ms)")
    print()
    print("| stack | clients | viewers | actions | connect all (s) | last viewer p50 | last viewer p99 | members p50 "
          "| members p99 | members p99 vs idle |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label_, mode, n, cs, acts, vp50, vp99, mp50, mp99 in fan_rows:
        idle = base.get((label_, mode))
        ratio = mp99 / idle if idle else float("nan")
        verdict = "ok" if ratio <= 2 else "OVER 2x"
        print(f"| {label_} | {mode} | {n} | {acts} | {cs:.1f} | {vp50:.0f} | {vp99:.0f} | {mp50:.1f} | {mp99:.1f} "
              f"| {ratio:.1f}x ({verdict}) |")
    if http_rows:
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
    print()
    print("### (d) State reads per event (server counters, bench/live_counters.py)")
    print()
    print("| stack | clients | who | events | `live_state` reads: writer (lock) | `live_state` reads: all others "
          "| `state.json` requests | SQL queries | computing the patches (ms, server) | KiB to the members "
          "| whole-state reloads by folding clients (run) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label_, mode, who, n, pe, kib, reloads in reads_rows:
        print(f"| {label_} | {mode} | {who} | {n} | {pe['live_state_reads_writer']:.1f} "
              f"| {pe['live_state_reads_other']:.1f} | {pe['state_json_requests']:.1f} | {pe['sql_queries']:.1f} "
              f"| {pe['patch_us'] / 1000:.2f} | {kib:.1f} | {reloads if mode == 'fold' else '-'} |")
    side = [lbl for lbl in dict.fromkeys(r[0] for r in lat_rows)
            if {(lbl, "refetch"), (lbl, "fold")} <= set(base)]
    for lbl in side:
        print()
        print(f"### Before and after: refetching pages vs folding pages ({lbl})")
        print()
        print("| per event | before: refetch | after: fold |")
        print("|---|---:|---:|")
        reads = {(r[1], r[2]): r for r in reads_rows if r[0] == lbl}
        lat = {r[1]: r for r in lat_rows if r[0] == lbl}
        fan = {r[1]: r for r in fan_rows if r[0] == lbl}
        whos = list(dict.fromkeys(r[2] for r in reads_rows if r[0] == lbl))
        for who in whos:
            if ("refetch", who) in reads and ("fold", who) in reads:
                b, a = reads[("refetch", who)][4], reads[("fold", who)][4]
                print(f"| state reads (`live_state` besides the writer's one) + `state.json` requests, {who} "
                      f"| {b['live_state_reads_other'] + b['state_json_requests']:.1f} "
                      f"| {a['live_state_reads_other'] + a['state_json_requests']:.1f} |")
        print(f"| chair -> last of {MEMBER_SOCKETS} members, p50 / p99 (ms) | {lat['refetch'][3]:.1f} / "
              f"{lat['refetch'][4]:.1f} | {lat['fold'][3]:.1f} / {lat['fold'][4]:.1f} |")
        if "refetch" in fan and "fold" in fan:
            b, a = fan["refetch"], fan["fold"]
            print(f"| chair -> last of {MEMBER_SOCKETS} members with {a[2]} viewers, p50 / p99 (ms) | {b[7]:.1f} / "
                  f"{b[8]:.1f} | {a[7]:.1f} / {a[8]:.1f} |")
            print(f"| chair -> last of {a[2]} viewers, p50 / p99 (ms) | {b[5]:.0f} / {b[6]:.0f} | {a[5]:.0f} / "
                  f"{a[6]:.0f} |")
    for n in out["notes"]:
        print(f"\nNote: {n}")
    print(f"\nTotal run time {time.time() - start:.0f} s.")


async def main_async() -> int:
    start = _start
    deadline = start + TIME_LIMIT - 45
    out = _out

    if "memory" in STACKS:
        # (i) in-memory layer, one daphne, SQLite; public fan-out on the single process too, to the
        # first viewer count only (members and viewers share the one daphne)
        log("stack (i): in-memory layer, SQLite, one daphne")
        stack = start_stack(memory_env(), 1)
        try:
            await run_modes(stack, "in-memory, 1 daphne, SQLite", VIEWERS[:1], stack["ports"], deadline, out,
                            refetch_viewers=VIEWERS[0] if VIEWERS else 0)
        finally:
            stop_stack(stack)

    if "redis" in STACKS:
        # (ii) Redis layer, PostgreSQL: two daphne processes for members (the meeting is shared between
        # them through Redis) and a third that serves only the public, as production routes
        # /ws/public/ to its own pool so that viewers never share an event loop with the members.
        log("stack (ii): Redis layer, PostgreSQL, two member daphne + one public daphne")
        stack = start_stack(redis_env(), 3)
        stack["member_ports"], public_ports = stack["ports"][:2], stack["ports"][2:]
        label = "Redis, PostgreSQL, 2 member daphne + 1 public daphne"
        try:
            path = f"/public/meetings/{stack['meeting']}/state.json"
            etag = await fetch_etag(public_ports[0], path)
            for with_etag in (False, True):
                rate = await etag_rate(public_ports[0], path, etag if with_etag else None)
                out["http"].append((label + ", one process", "If-None-Match (304)" if with_etag else "plain (200)",
                                    rate))
            await run_modes(stack, label, VIEWERS, public_ports, deadline, out,
                            refetch_viewers=VIEWERS[0] if VIEWERS else 0)
        finally:
            stop_stack(stack)

    report(out, start)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--stacks", default=",".join(STACKS),
                        help="memory (one daphne, SQLite, in-memory layer) and/or redis (PostgreSQL + Redis, "
                             "three daphne); default: %(default)s")
    parser.add_argument("--clients", default=",".join(CLIENTS),
                        help="refetch (the pages before: the whole state per event) and/or fold (state_patch); "
                             "both are measured in one run, side by side; default: %(default)s")
    parser.add_argument("--viewers", default=",".join(map(str, VIEWERS)),
                        help="public viewer counts (stack (i) uses the first); default: %(default)s")
    parser.add_argument("--actions", type=int, default=ACTIONS, help="member latency actions; default: %(default)s")
    parser.add_argument("--public-actions", type=int, default=PUBLIC_ACTIONS,
                        help="chair actions while the viewers watch; default: %(default)s")
    parser.add_argument("--public-pace", type=float, default=PUBLIC_PACE,
                        help="seconds between those actions; default: %(default)s")
    parser.add_argument("--refetch-public-actions", type=int, default=REFETCH_PUBLIC_ACTIONS,
                        help="the same for refetching viewers (at most --public-actions); default: %(default)s")
    parser.add_argument("--time-limit", type=int, default=TIME_LIMIT,
                        help="hard limit for the whole run, s; default: %(default)s")
    args = parser.parse_args(argv)
    for name, value in (("stacks", args.stacks), ("clients", args.clients)):
        allowed = {"stacks": {"memory", "redis"}, "clients": {"refetch", "fold"}}[name]
        chosen = [v for v in value.split(",") if v]
        if not chosen or set(chosen) - allowed:
            parser.error(f"--{name}: choose from {', '.join(sorted(allowed))}")
    return args


def main(argv: list[str] | None = None) -> int:
    global STACKS, CLIENTS, VIEWERS, ACTIONS, PUBLIC_ACTIONS, REFETCH_PUBLIC_ACTIONS, PUBLIC_PACE, TIME_LIMIT, _start
    _start = time.time()
    args = parse_args(argv)
    STACKS = [v for v in args.stacks.split(",") if v]
    CLIENTS = [v for v in args.clients.split(",") if v]
    VIEWERS = [int(x) for x in args.viewers.split(",") if x]
    ACTIONS, PUBLIC_ACTIONS, PUBLIC_PACE = args.actions, args.public_actions, args.public_pace
    TIME_LIMIT = args.time_limit
    REFETCH_PUBLIC_ACTIONS = args.refetch_public_actions
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
