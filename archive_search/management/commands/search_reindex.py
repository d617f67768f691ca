from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from archive_search.services import search_reindex_all, search_reindex_meeting


class Command(BaseCommand):
    help = "Rebuild the archive's search index: every meeting, or the meetings named."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("meeting_ids", nargs="*", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["meeting_ids"]
        counts = ({i: search_reindex_meeting(meeting_id=i) for i in ids} if ids else search_reindex_all())
        self.stdout.write(f"{len(counts)} meetings, {sum(counts.values())} search documents")
