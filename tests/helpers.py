"""What several test packages share: sockets speaking the live protocol, free loopback ports and
waiting for a server process (daphne) to listen, and the closing of a meeting's doors."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from asgi import application
from meetings.legal import ClosureGround
from meetings.models import Meeting
from meetings.services.tokens import token_create
from tests.factories import Council, run

ROOT = Path(__file__).resolve().parents[1]

ORIGIN = [(b"origin", b"http://testserver")]


class Socket:
    """A test client speaking the live protocol over a real consumer."""

    def __init__(self, path: str, token: str | None = None, origin=ORIGIN) -> None:
        url = f"{path}?token={token}" if token else path
        self.comm = WebsocketCommunicator(application, url, headers=origin)
        self.events: list[dict[str, Any]] = []
        self.others: list[dict[str, Any]] = []
        self._n = 0

    async def connect(self) -> tuple[bool, int | None]:
        return await self.comm.connect()

    async def refusal(self, timeout: float = 3.0) -> int:
        """The close code of a socket the consumer accepts and then refuses (docs/protocol.md, "Connecting")."""
        connected, _ = await self.comm.connect()
        assert connected, "refused at the handshake, before any consumer ran"
        out = await self.comm.receive_output(timeout)
        assert out["type"] == "websocket.close", out
        return out["code"]

    async def send(self, type: str, payload: dict | None = None, id: Any = None) -> Any:
        self._n += 1
        rid = id if id is not None else f"r{self._n}"
        await self.comm.send_to(text_data=json.dumps({"type": type, "id": rid, "payload": payload or {}}))
        return rid

    async def recv(self, timeout: float = 3.0) -> dict[str, Any]:
        msg = json.loads(await self.comm.receive_from(timeout=timeout))
        if msg.get("type") == "event":
            self.events.append(msg)
        else:
            self.others.append(msg)
        return msg

    async def reply(self, rid: Any, timeout: float = 3.0) -> dict[str, Any]:
        """Read until the reply to `rid`, collecting events on the way."""
        while True:
            msg = await self.recv(timeout)
            if msg.get("in_response") == rid and msg.get("type") != "event":
                return msg

    async def call(self, type: str, **payload: Any) -> dict[str, Any]:
        return await self.reply(await self.send(type, payload))

    async def drain(self, quiet: float = 0.3) -> None:
        # receive_nothing, unlike a timed-out receive, leaves the application running.
        while not await self.comm.receive_nothing(timeout=quiet):
            await self.recv()

    async def close(self) -> None:
        await self.comm.disconnect()


@database_sync_to_async
def token_for(user) -> str:
    """A new API token's key for `user` (as `POST /api/auth/token/` gives one)."""
    return token_create(user=user, label="test")[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 120) -> None:
    """Return once something listens on ``port``; raise if ``proc`` (the server) exits first or on timeout
    (generous: a server starts in a few seconds on an idle machine, far slower beside a second suite)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def close_doors(
    council: Council,
    meeting: Meeting,
    *,
    ground: str = ClosureGround.PRIVACY,
    reason: str | None = None,
    voters: list[Any] | None = None,
) -> None:
    """The real procedure: a motion on a legal ground, the vote on closing held in open session with
    every voter (by default everyone eligible) for, then the vote closed."""
    motion: dict[str, Any] = {"ground": ground} if reason is None else {"ground": ground, "reason": reason}
    run(council.chair, meeting, "doors.motion", **motion)
    vote = run(council.chair, meeting, "vote.open", kind="closure")
    if voters is None:
        eligible = Meeting.objects.get(id=meeting.id).live_state["votes"][str(vote)]["eligible"]
        users = {str(council.pid(u)): u for u in [council.chair, *council.members]}
        voters = [users[pid] for pid in eligible]
    for user in voters:
        run(user, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)


async def eventually(predicate: Callable[[], Any], timeout: float = 10.0, step: float = 0.1,
                     what: str = "condition") -> float:
    """Await until `predicate()` (sync or async) is true; return the seconds it took. Tests wait on
    states with this, never on a fixed time, so a busy machine only makes them slower."""
    start = time.monotonic()
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not met within {timeout} s")
        await asyncio.sleep(step)


def examples(n: int) -> int:
    """How many examples a fuzzer generates: all of them in the first pass of `make test`, a quarter
    on the second engine (PostgreSQL with Redis), where what differs by engine (a NUL byte PostgreSQL
    refuses, row locks, the Redis layer's limits) shows in the first few; the wide search ran already."""
    return max(5, n // 4) if os.environ.get("TEST_PASS") == "second_engine" else n


def production_env(sqlite_path, **extra: str) -> dict[str, str]:
    """The environment of a `manage.py` or daphne process run as in production (DEBUG=0, a real
    SECRET_KEY) on its own SQLite file, never the developer's or the PostgreSQL pass's database, with
    collectstatic's files (the pages name hashed files only it writes)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="moter.example.no,127.0.0.1",
               SQLITE_PATH=str(sqlite_path), LIVESTREAM_ENABLED="0", STATIC_ROOT=collected_static_root(), **extra)
    return env


@functools.cache
def collected_static_root() -> str:
    """A STATIC_ROOT that `collectstatic` filled, once per test run, for every DEBUG=0 server.

    `make test` names one directory (COLLECTED_STATIC) for both of its passes: collectstatic
    compresses about 40 MB with Brotli, most of a minute here, and the files do not change between
    the passes. A directory without the manifest is filled afresh."""
    root = os.environ.get("COLLECTED_STATIC") or tempfile.mkdtemp(prefix="collected-static-")
    if os.path.exists(os.path.join(root, "staticfiles.json")):
        return root
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), STATIC_ROOT=root)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=300)
    return root
