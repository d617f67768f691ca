"""The embedded default's captions worker: `manage.py run_captions_worker` as a child process of the
web server, started once per process from config/server.py.

A process, not a thread: the speech-to-text engines hold the GIL while they decode (measured here:
pocketsphinx's `process_raw` held it for the whole of a 40 s decode, the server's other threads and
its event loop frozen all along), which would stall the live meetings the same server is serving.
The child watches its parent and ends with it (after the job in hand); it polls for ready jobs every
CAPTIONS_WORKER_POLL seconds. Off unless CAPTIONS_IN_PROCESS (by default: whenever the media worker
runs in process too, i.e. without Redis).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from . import conf

MANAGE = Path(__file__).resolve().parents[1] / "manage.py"

_lock = threading.Lock()
_child: subprocess.Popen[bytes] | None = None


def start_embedded(env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes] | None:
    """Start the worker process unless it runs; `env` (tests) replaces the environment it inherits."""
    global _child
    if not conf.in_process():
        return None
    with _lock:
        if _child is None or _child.poll() is not None:
            _child = subprocess.Popen(
                [sys.executable, str(MANAGE), "run_captions_worker", "--parent", str(os.getpid())],
                cwd=MANAGE.parent, env=dict(env) if env is not None else None)
            atexit.register(stop_embedded)
        return _child


def stop_embedded(timeout: float = 60) -> None:
    """Stop the worker process (it finishes the job in hand first)."""
    with _lock:
        child = _child
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
