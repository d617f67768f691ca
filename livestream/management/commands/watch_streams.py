from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livestream.watchdog import stream_check_all


class Command(BaseCommand):
    help = ("Watch the public streams of meetings in session from outside the media workers: a stream with no "
            "new segment for a few segment lengths is logged as stream.state down (e.g. a dead media worker), "
            "and up again when segments flow. Run one beside the media workers (production).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit (cron)")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between checks (default 2)")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        while True:
            for check in stream_check_all():
                if check.logged:
                    state = "up" if check.up else f"down (no segment for {check.silent_for:.0f} s)"
                    self.stdout.write(f"meeting {check.meeting_id}: public stream {state}")
            if once:
                return
            time.sleep(interval)
