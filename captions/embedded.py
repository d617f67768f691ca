"""The embedded default's captions worker: a daemon thread of the web server's process.

Started once per process from config/server.py, which runs before Django has loaded the apps, so
nothing here imports a model until the thread finds the apps ready. Off unless CAPTIONS_IN_PROCESS
(by default: whenever the media worker runs in process, i.e. without Redis).
"""

from __future__ import annotations

import threading

from . import conf

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def start_embedded() -> threading.Thread | None:
    global _thread
    if not conf.in_process():
        return None
    with _lock:
        if _thread is None or not _thread.is_alive():
            _stop.clear()
            _thread = threading.Thread(target=_run, name="captions-worker", daemon=True)
            _thread.start()
        return _thread


def stop_embedded(timeout: float = 60) -> None:
    """Stop the thread (after the job it is running, if any); for tests and an orderly shutdown."""
    from .worker import wake

    with _lock:
        thread = _thread
        _stop.set()
    wake()
    if thread is not None:
        thread.join(timeout)


def _run() -> None:
    from django.apps import apps

    while not apps.ready and not _stop.is_set():  # daphne loads the application (and the apps) after this
        _stop.wait(0.2)
    from django.db import connection

    from .worker import run_forever

    try:
        run_forever(_stop)
    finally:
        connection.close()
