from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meetings.exceptions import DomainError
from meetings.services.log import log_verify


class Command(BaseCommand):
    help = "Verify the hash chain of a meeting's log (exit 1 and name the first bad event if it was altered)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("meeting", type=int)

    def handle(self, *args: Any, meeting: int, **options: Any) -> None:
        try:
            count = log_verify(meeting_id=meeting)
        except DomainError as exc:
            raise CommandError(f"log of meeting {meeting} is NOT intact: {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"log of meeting {meeting} is intact: {count} events"))
