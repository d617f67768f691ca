"""The archive's search index: one row per searchable piece of a public meeting.

The rows are derived (services.search_reindex_meeting) from what the public already sees: the
captions (`captions.selectors.public_cues`) and the published minutes (`minutes_build(public=True)`);
nothing is written here that the public pages do not show. The full-text index over `text` is the
database's own: a GIN index over `to_tsvector('norwegian', text)` on PostgreSQL, an FTS5 table kept
in step by triggers on SQLite (both made in migrations/0001_initial.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting


class Kind(models.TextChoices):
    CUE = "cue", _("Transcript")
    ITEM = "item", _("Item")
    PROPOSAL = "proposal", _("Proposal")
    DECISION = "decision", _("Decision")


class Document(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="search_documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveIntegerField()  # order within the meeting: the transcript, then the minutes
    text = models.TextField()
    label = models.CharField(max_length=300, blank=True)  # a cue's speaker; the case number of minutes content
    url = models.CharField(max_length=300)  # the moment in the recording, or the place in the minutes
    seconds = models.PositiveIntegerField(null=True, blank=True)  # a cue's: where the link starts the recording

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="one_search_document_per_position")]

    def __str__(self) -> str:
        return f"{self.kind} {self.position} of meeting {self.meeting_id}"
