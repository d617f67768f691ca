"""Publication bookkeeping for minutes. The minutes themselves are derived from the meeting log."""

from __future__ import annotations

from django.db import models


class MinutesStatus(models.TextChoices):
    REVIEW = "review", "Til gjennomsyn"
    PUBLISHED = "published", "Publisert"
    REFUSED = "refused", "Publisering avvist (møteloggen er endret)"


class MinutesRecord(models.Model):
    meeting = models.OneToOneField("meetings.Meeting", on_delete=models.PROTECT, related_name="minutes")
    status = models.CharField(max_length=20, choices=MinutesStatus.choices, default=MinutesStatus.REVIEW)
    publish_due_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_seq = models.PositiveIntegerField(null=True, blank=True)
    content_digest = models.CharField(max_length=64, blank=True)
    problem = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Minutes of {self.meeting}"
