"""A meeting's captions: one job (its state and how far it got, for the clerk) and its cues."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNAVAILABLE = "unavailable", _("Not available")


class CaptionJob(models.Model):
    """The transcription of one meeting's public recording. A new run replaces its cues."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="caption_job")
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    engine = models.CharField(max_length=40, blank=True)
    speeches_done = models.PositiveIntegerField(default=0)
    speeches_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # why it failed or why captions are not available
    cpu_seconds = models.FloatField(default=0.0)  # the engine's CPU time, for the operator's sizing
    audio_seconds = models.FloatField(default=0.0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"captions of meeting {self.meeting_id}: {self.state} {self.speeches_done}/{self.speeches_total}"


class Cue(models.Model):
    """One speech's caption: the speaker from the log, times on the recording's timeline."""

    job = models.ForeignKey(CaptionJob, on_delete=models.CASCADE, related_name="cues")
    index = models.PositiveIntegerField()
    person_id = models.PositiveIntegerField()
    speaker = models.CharField(max_length=200)
    start = models.FloatField()  # seconds into the recording
    end = models.FloatField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_cue_per_index")]

    def __str__(self) -> str:
        return f"{self.index} {self.speaker} {self.start:.1f}-{self.end:.1f}"
