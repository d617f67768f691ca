import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mediaworker.worker import MediaWorker
from meetings import events


class Command(BaseCommand):
    help = ("Run media worker N as its own process (production, REDIS_URL set). Meetings are pinned to "
            "worker meeting_id % MEDIA_WORKERS; run one per core, N = 0 .. MEDIA_WORKERS-1.")

    def add_arguments(self, parser):
        parser.add_argument("--worker", type=int, default=0)

    def handle(self, *args, worker: int, **options):
        if not settings.REDIS_URL:
            raise CommandError("a separate media worker needs REDIS_URL (the in-memory layer is one process only); "
                               "without it the worker runs inside daphne")
        if not 0 <= worker < settings.MEDIA_WORKERS:
            raise CommandError(f"--worker must be in 0..{settings.MEDIA_WORKERS - 1} (MEDIA_WORKERS)")
        asyncio.run(MediaWorker(events.media_worker_channel(worker=worker)).run())
