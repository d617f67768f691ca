from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from captions import worker

EMBEDDED_NICENESS = 15  # of 19: the scheduler gives the web server's threads about 30 times its share


class Command(BaseCommand):
    help = ("Run queued captions jobs (a meeting's job is queued when it ends) until stopped; "
            "production's worker (the embedded default runs one as a child process of the web server).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the ready jobs there are now, then stop")
        parser.add_argument("--poll", type=float, default=None, help="seconds between looks (CAPTIONS_WORKER_POLL)")
        parser.add_argument("--parent", type=int, default=None,
                            help="end when this process does (the web server that started it, captions/embedded.py)")

    def handle(self, *args: Any, once: bool, poll: float | None, parent: int | None, **options: Any) -> None:
        if once:
            while (job := worker.run_once()) is not None:
                self.stdout.write(f"meeting {job.meeting_id}: {job.state}" + (f": {job.error}" if job.error else ""))
            return
        stop = threading.Event()

        def finish(*_: Any) -> None:  # after the job in hand: a job cut off would stay "running"
            stop.set()
            worker.wake()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, finish)
        if parent is not None:
            # Beside the web server (the embedded default) it shares the cores with live meetings:
            # a decode of minutes of CPU must never take them from the media and the event loop.
            os.nice(EMBEDDED_NICENESS)

            def watch() -> None:  # the web server gone (even killed): this ends too
                while not stop.wait(1.0):
                    if os.getppid() != parent:
                        finish()

            threading.Thread(target=watch, name="parent-watch", daemon=True).start()
        self.stdout.write("captions worker running")
        worker.run_forever(stop, poll=poll)
