from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from captions.models import JobState
from captions.services import captions_transcribe
from meetings.models import Meeting


class Command(BaseCommand):
    help = "Transcribe a meeting's public recording into captions (CAPTIONS_ENGINE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("meeting_id", type=int)

    def handle(self, *args: Any, meeting_id: int, **options: Any) -> None:
        from captions.models import CaptionJob

        if CaptionJob.objects.filter(meeting_id=meeting_id, approved_at__isnull=False).exists():
            raise CommandError(f"the captions of meeting {meeting_id} are approved by a clerk: not transcribed again")
        try:
            job = captions_transcribe(meeting_id=meeting_id)
        except Meeting.DoesNotExist:
            raise CommandError(f"no meeting {meeting_id}") from None
        rate = f", {job.cpu_seconds / job.audio_seconds * 60:.1f} CPU s per minute of audio" \
            if job.audio_seconds else ""
        self.stdout.write(f"meeting {meeting_id}: {job.state} ({job.engine or 'no engine'}), "
                          f"{job.speeches_done}/{job.speeches_total} speeches{rate}"
                          + (f": {job.error}" if job.error else ""))
        if job.state == JobState.FAILED:
            raise CommandError(job.error)
