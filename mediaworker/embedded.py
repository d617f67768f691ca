"""The embedded default: the media worker(s) run as tasks inside the daphne process.

The in-memory channel layer cannot reach another process, so without Redis the workers must share
the web server's event loop. asgi.py wraps the application in `EmbeddedMediaWorker`, which starts
them on the loop that serves the first connection and restarts one that ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings

from meetings import events

from .worker import MediaWorker

# (id of the event loop, worker number) -> its task: every worker is kept, so none is started twice
# and each one can be cancelled.
_embedded: dict[tuple[int, int], asyncio.Task[None]] = {}


def ensure_embedded_worker() -> None:
    """Start the in-process worker(s) on this event loop once (embedded mode only); restart any
    that ended."""
    if not settings.MEDIA_IN_PROCESS:
        return
    loop = asyncio.get_running_loop()
    for key in [key for key, task in _embedded.items() if task.get_loop().is_closed()]:
        del _embedded[key]  # its workers ended with the loop (a test's, say), whatever the task says
    for n in range(settings.MEDIA_WORKERS):
        task = _embedded.get((id(loop), n))
        if task is None or task.done():
            _embedded[(id(loop), n)] = loop.create_task(MediaWorker(events.media_worker_channel(worker=n)).run())


class EmbeddedMediaWorker:
    """ASGI middleware: every connection makes sure this process's media workers run (a no-op
    unless MEDIA_IN_PROCESS), before the application handles it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        ensure_embedded_worker()
        return await self.app(scope, receive, send)
