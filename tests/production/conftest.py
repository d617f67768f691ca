"""The production topology started for real on loopback: PostgreSQL (a fresh database), Redis (an
empty db index), one daphne, one separate media worker process (`run_media_worker`) and the stream
watchdog beside it (`watch_streams`).

Under CI=true a missing Redis or PostgreSQL fails the test (tests/integration/test_multiprocess.py has the
same rule); elsewhere it skips. Every process, the database and the Redis db are cleaned up even
when the test fails; the processes' logs are printed on failure so a broken path can be read.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port, wait_for_port
from tests.integration.test_multiprocess import PG_ADMIN, free_redis_db, redis_base, unavailable

ROOT = Path(__file__).resolve().parents[2]
USERS = ("ordforer", "medlem02", "medlem03")

SETUP_SCRIPT = f"""
import json
from django.contrib.auth import get_user_model
from meetings.services.tokens import token_create
from meetings import demo
meeting, _ = demo.seed()  # idempotent: finds what seed_demo made
users = get_user_model().objects.filter(username__in={USERS!r})
print("SETUP" + json.dumps({{"meeting": meeting.id,
    "tokens": {{u.username: token_create(user=u, label="test")[1] for u in users}},
    "persons": {{u.username: u.person.id for u in users}}}}))
"""


class Stack:
    def __init__(self, env: dict[str, str], logs: Path, live_root: Path) -> None:
        self.env, self.logs, self.live_root = env, logs, live_root
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.port = 0
        self.meeting = 0
        self.tokens: dict[str, str] = {}
        self.persons: dict[str, int] = {}

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, timeout=180,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def log_of(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def production(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    import psycopg
    import redis

    redis_url = free_redis_db(redis_base(request))
    name = f"council_prod_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable: {exc}")
    live_root = tmp_path / "live"
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}", "REDIS_URL": redis_url,
           "DEBUG": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost", "MEDIA_IN_PROCESS": "0",
           "MEDIA_WORKERS": "1",
           "MEDIA_HOST_ADDRESSES": "127.0.0.1", "LIVESTREAM_ENABLED": "1", "LIVESTREAM_WIDTH": "320",
           "LIVESTREAM_HEIGHT": "180", "LIVESTREAM_FPS": "10", "LIVESTREAM_ROOT": str(live_root),
           "PYTHONUNBUFFERED": "1"}
    for key in ("DJANGO_SETTINGS_MODULE", "SQLITE_PATH", "SQLITE_TEST_PATH"):
        env.pop(key, None)
    stack = Stack(env, tmp_path, live_root)
    try:
        stack.manage("migrate", "-v0")
        stack.manage("seed_demo")
        out = stack.manage("shell", "-c", SETUP_SCRIPT)
        line = next(line for line in out.splitlines() if line.startswith("SETUP"))
        setup: dict[str, Any] = json.loads(line.removeprefix("SETUP"))
        stack.meeting, stack.tokens, stack.persons = setup["meeting"], setup["tokens"], setup["persons"]
        stack.port = free_port()
        daphne = stack.start("daphne", "-m", "config.server", "-b", "127.0.0.1", "-p", str(stack.port),
                             "asgi:application")
        stack.start("worker", "manage.py", "run_media_worker", "--worker", "0")
        # Beside the workers in production: logs stream.state down when a worker's stream stops.
        stack.start("watchdog", "manage.py", "watch_streams", "--interval", "0.5")
        wait_for_port(stack.port, daphne)
        yield stack
    finally:
        stack.stop_all()
        # Shown by pytest only when the test failed: where a broken production path is read.
        for proc in stack.procs:
            print(f"--- {proc} log:\n{stack.log_of(proc)}")
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(redis_url).flushdb()

