"""Two real daphne processes sharing one meeting through Redis (channels_redis) and PostgreSQL.

Needs the local Redis and PostgreSQL servers: under CI=true their absence fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


SETUP_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from meetings.services.tokens import token_create
from meetings import demo
meeting, _ = demo.seed()
users = get_user_model().objects.filter(username__in=("ordforer", "medlem02"))
tokens = {u.username: token_create(user=u, label="test")[1] for u in users}
print("SETUP" + json.dumps({"meeting": meeting.id, "tokens": tokens}))
"""


def redis_base(request: pytest.FixtureRequest) -> str:
    try:  # the shared fixture (tests/conftest.py) when it exists, else the environment
        return request.getfixturevalue("redis_url")
    except pytest.FixtureLookupError:
        return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def free_redis_db(base: str) -> str:
    """A Redis URL on an empty db index: meeting ids restart at 1 in every fresh database, so two
    runs sharing a db index would hear each other's groups."""
    import redis

    root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base.rstrip("/")
    try:
        redis.Redis.from_url(base, socket_timeout=2).ping()
    except Exception as exc:
        unavailable(f"Redis is not reachable at {base}: {exc}")
    # Two test workers (pytest-xdist) look in different halves, so they never take the same index.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    for idx in range(15 - 7 * (worker % 2), 8 - 7 * (worker % 2), -1):
        url = f"{root}/{idx}"
        if redis.Redis.from_url(url, socket_timeout=2).dbsize() == 0:
            return url
    unavailable("no empty Redis db index")
    raise AssertionError


@pytest.fixture
def stack(request):
    import psycopg
    import redis

    redis_url = free_redis_db(redis_base(request))
    name = f"council_mp_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        unavailable(f"PostgreSQL is not reachable: {exc}")
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
           "REDIS_URL": redis_url, "DEBUG": "1", "LIVESTREAM_ENABLED": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "MEDIA_IN_PROCESS": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    procs: list[subprocess.Popen] = []
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
        out = subprocess.run([*manage, "shell", "-c", SETUP_SCRIPT], cwd=ROOT, env=env, check=True, timeout=180,
                             capture_output=True, text=True).stdout
        setup = json.loads(next(line for line in out.splitlines() if line.startswith("SETUP"))[5:])
        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(subprocess.Popen([sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port),
                                           "asgi:application"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port, proc in zip(ports, procs, strict=True):
            wait_for_port(port, proc)
        yield {"ports": ports, **setup, "env": env}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(redis_url).flushdb()


class Client:
    def __init__(self, ws) -> None:
        self.ws, self.events, self.n = ws, [], 0

    async def call(self, type: str, **payload):
        self.n += 1
        rid = f"r{self.n}"
        await self.ws.send(json.dumps({"type": type, "id": rid, "payload": payload}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if msg.get("type") == "event":
                self.events.append(msg)
            elif msg.get("in_response") == rid:
                return msg

    async def drain(self, quiet: float = 0.5) -> None:
        while True:
            try:
                msg = json.loads(await asyncio.wait_for(self.ws.recv(), quiet))
            except TimeoutError:
                return
            if msg.get("type") == "event":
                self.events.append(msg)


async def test_two_daphne_processes_share_a_meeting_through_redis(stack):
    import websockets

    a, b = stack["ports"]
    m = stack["meeting"]
    origin = "http://127.0.0.1"
    async with websockets.connect(f"ws://127.0.0.1:{a}/ws/meetings/{m}/?token={stack['tokens']['ordforer']}",
                                  origin=origin) as chair_ws, \
            websockets.connect(f"ws://127.0.0.1:{b}/ws/meetings/{m}/?token={stack['tokens']['medlem02']}",
                               origin=origin) as member_ws, \
            websockets.connect(f"ws://127.0.0.1:{b}/ws/public/meetings/{m}/", origin=origin) as public_ws:
        chair, member, public = Client(chair_ws), Client(member_ws), Client(public_ws)
        for c in (chair, member):
            assert json.loads(await c.ws.recv())["type"] == "hello"
            assert (await c.call("sync", after=0))["type"] == "ack"
        first = json.loads(await public.ws.recv())
        assert first["type"] == "state"
        assert (await chair.call("meeting.open"))["type"] == "ack"
        for c in (chair, member):
            assert (await c.call("member.join"))["type"] == "ack"
        # Both are registered as sitting in the meeting room, so they count without a media tier
        # (this test is about two processes sharing a meeting, not about media).
        joined: set[int] = set()
        for _ in range(100):  # wait on the state: both joins have reached the chair's socket
            joined = {e["payload"]["person"] for e in chair.events if e["event"] == "member.joined"}
            if len(joined) == 2:
                break
            await chair.drain(0.1)
        assert len(joined) == 2, chair.events
        for person in sorted(joined):
            assert (await chair.call("member.in_room", person_id=person, in_room=True))["type"] == "ack"
        item = next(e for e in chair.events if e["event"] == "notice.published")["payload"]["items"][1]["item"]
        assert (await chair.call("item.open", item_id=item))["type"] == "ack"
        vote = (await chair.call("vote.open"))["result"]
        assert (await member.call("vote.cast", vote=vote, choice="for"))["type"] == "ack"
        assert (await chair.call("vote.cast", vote=vote, choice="for"))["type"] == "ack"
        result = (await chair.call("vote.close", vote=vote))["result"]
        for c in (chair, member, public):
            await c.drain()
    # Members on both processes saw exactly the same events, in order; the public on process B
    # saw the public subsequence, including the result.
    assert [(e["seq"], e["event"]) for e in chair.events] == [(e["seq"], e["event"]) for e in member.events]
    seqs = [e["seq"] for e in chair.events]
    assert seqs == list(range(1, len(seqs) + 1))
    public_seqs = [e["seq"] for e in public.events]
    assert set(public_seqs) <= set(seqs) and public_seqs == sorted(public_seqs)
    closed = [e for e in public.events if e["event"] == "vote.closed"]
    assert closed and closed[0]["payload"]["result"]["counts"] == result["counts"]
