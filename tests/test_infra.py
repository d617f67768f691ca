"""The two ways to run: the embedded default (SQLite, in-memory layer) and production (PostgreSQL, Redis)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client


def test_healthz_reports_database_and_channel_layer(db):
    r = Client().get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"].startswith("ok") and body["channel_layer"].startswith("ok")


def test_it_runs_on_the_database_the_environment_names(db):
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_it_uses_the_channel_layer_the_environment_names():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "channels_redis.core.RedisChannelLayer"
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"


@pytest.mark.redis
def test_redis_layer_round_trips_between_two_layer_instances():
    """Two layer instances stand for two processes: a message sent by one reaches the other."""
    import asyncio

    import redis
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable under CI=true: {exc}")
        pytest.skip(f"Redis is not reachable: {exc}")

    async def roundtrip():
        a, b = RedisChannelLayer(hosts=[url]), RedisChannelLayer(hosts=[url])
        channel = await b.new_channel()
        await b.group_add("infra-test", channel)
        await a.group_send("infra-test", {"type": "hello", "n": 42})
        msg = await asyncio.wait_for(b.receive(channel), 5)
        await b.group_discard("infra-test", channel)
        return msg

    assert asyncio.run(roundtrip())["n"] == 42


def test_healthz_fails_clearly_when_the_database_is_down(db, monkeypatch):
    class DownConnection:
        vendor = "down"

        def cursor(self):
            raise RuntimeError("database is down")

    monkeypatch.setattr("meetings.health.connection", DownConnection())
    r = Client().get("/healthz")
    assert r.status_code == 503 and r.json()["database"].startswith("error")


def test_the_server_refuses_a_websocket_limit_below_the_protocols():
    # The consumer must see every message up to WS_MAX_MESSAGE_BYTES to answer it (docs/protocol.md).
    env = {**os.environ, "WS_MAX_MESSAGE_BYTES": "65536", "WS_TRANSPORT_MAX_BYTES": "1000", "MEDIA_WORKERS": "0"}
    done = subprocess.run([sys.executable, "-m", "config.server", "-p", "0", "asgi:application"], env=env,
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--websocket-max-message-size 1000 is below WS_MAX_MESSAGE_BYTES (65536)" in done.stderr
