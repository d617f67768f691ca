"""The project's ASGI application with read counters, for bench_live.py only (never deployed).

    python -m config.server bench.live_counters:application

Counts, in this server process, every SQL read of a meeting's `live_state` (split into the writer's
own read under the meeting lock, which folds the event in, and every other read: a client's `state`
request, a state document being built), every HTTP request for `state.json` (as it arrives) and the
time spent computing each event's state patches (`state_patch.advance`, once per event). GET
/__bench__/counters answers them as JSON; the bench reads them before and after a run of events.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created

from asgi import application as project_application  # sets Django up
from meetings import state_patch

_lock = threading.Lock()
counters = {"live_state_reads_writer": 0, "live_state_reads_other": 0, "state_json_requests": 0, "sql_queries": 0,
            "patch_us": 0}


def _count(name: str) -> None:
    with _lock:
        counters[name] += 1


def _under_meeting_lock() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "meeting_lock":
            return True
        frame = frame.f_back
    return False


def _wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    _count("sql_queries")
    if "live_state" in sql and sql.lstrip()[:6].upper() == "SELECT":
        _count("live_state_reads_writer" if _under_meeting_lock() else "live_state_reads_other")
    return execute(sql, params, many, context)


def _install(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_wrapper)


_advance = state_patch.advance


def _timed_advance(**kwargs: Any) -> Any:
    t0 = time.perf_counter()
    try:
        return _advance(**kwargs)
    finally:
        with _lock:
            counters["patch_us"] += int((time.perf_counter() - t0) * 1e6)


state_patch.advance = _timed_advance  # log_append looks it up on the module at each event
connection_created.connect(_install)
for conn in connections.all(initialized_only=True):
    _install(None, conn)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == "/__bench__/counters":
        with _lock:
            body = json.dumps(counters).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] == "http" and scope["path"].endswith("/state.json"):
        _count("state_json_requests")
    await project_application(scope, receive, send)
