"""Write a meeting's Noark 5 archive package (minutes/noark5.py), as the clerk pages offer it."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from meetings.exceptions import DomainError
from meetings.models import Meeting
from minutes import noark5


class Command(BaseCommand):
    help = "Write the Noark 5 v5.0 archive package (arkivuttrekk) of a meeting's published minutes."

    def add_arguments(self, parser):
        parser.add_argument("meeting", type=int)
        parser.add_argument("--out", default=".", help="directory for motebok-<id>.zip")

    def handle(self, *args, meeting: int, out: str, **options):
        m = Meeting.objects.select_related("body__municipality").filter(id=meeting).first()
        if m is None:
            raise CommandError(f"meeting {meeting} does not exist")
        try:
            blob = noark5.package(m)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        target = Path(out) / f"motebok-{meeting}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
        self.stdout.write(self.style.SUCCESS(f"wrote {target}"))
