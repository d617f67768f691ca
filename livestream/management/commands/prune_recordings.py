from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from livestream.retention import recording_delete, recording_list_expired


class Command(BaseCommand):
    help = ("Delete the public recordings (files under LIVESTREAM_ROOT) of meetings that ended more than "
            "RECORDING_RETENTION_DAYS days ago. The meeting log and minutes are kept. Run it daily (cron).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
        parser.add_argument("--days", type=int, default=None,
                            help=f"override RECORDING_RETENTION_DAYS (now {settings.RECORDING_RETENTION_DAYS})")

    def handle(self, *args: Any, dry_run: bool, days: int | None, **options: Any) -> None:
        try:
            expired = recording_list_expired(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "would delete" if dry_run else "deleted"
        for recording in expired:
            if not dry_run:
                recording_delete(recording=recording)
            self.stdout.write(f"{verb} {recording.describe()}")
        self.stdout.write(f"{len(expired)} recording(s) {verb}; "
                          f"{sum(r.bytes for r in expired)} bytes")
