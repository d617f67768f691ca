"""A meeting's captions: one job (its state and how far it got, for the clerk) and its cues, each
with every version of its text: the engine's, then each correction by a clerk (never overwritten)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, Person


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNAVAILABLE = "unavailable", _("Not available")


class CaptionJob(models.Model):
    """The transcription of one meeting's public recording. A new run gives each cue the clerk has not
    corrected a new automatic version (services.captions_transcribe); once approved it is not run again."""

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
    queued_at = models.DateTimeField(null=True, blank=True)  # when the meeting ended (the worker's order)
    # A clerk approved the captions of the whole meeting: from then on none of them is "automatic".
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by_name = models.CharField(max_length=200, blank=True)  # kept if the person is removed

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
    text = models.TextField(blank=True)  # the latest version's text (services keep it so)
    version = models.PositiveIntegerField(default=1)  # the latest version's number
    corrected = models.BooleanField(default=False)  # the latest version is a clerk's

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_cue_per_index")]

    def __str__(self) -> str:
        return f"{self.index} {self.speaker} {self.start:.1f}-{self.end:.1f}"

    @property
    def automatic(self) -> bool:
        """Machine-made text no clerk has looked at: neither corrected nor approved with the meeting."""
        return not self.corrected and self.job.approved_at is None


class CueVersion(models.Model):
    """One version of a cue's text: the engine's (no author) or a clerk's correction. Never changed."""

    cue = models.ForeignKey(Cue, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=200, blank=True)  # empty: the engine wrote it
    engine = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["cue", "number"]
        constraints = [models.UniqueConstraint(fields=["cue", "number"], name="one_cue_version_per_number")]

    def __str__(self) -> str:
        return f"cue {self.cue_id} v{self.number} by {self.author_name or self.engine or 'the engine'}"

    @property
    def automatic(self) -> bool:
        return not self.author_name and self.author_id is None
