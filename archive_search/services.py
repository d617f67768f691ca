"""Refreshing the archive's search index, a meeting at a time."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from captions.selectors import public_cues
from meetings import visibility
from meetings.models import Meeting
from minutes.models import MinutesRecord, MinutesStatus
from minutes.services import minutes_build

from .models import Document, Kind
from .query import clean_text

# A cue is a whole speech, minutes long: it is indexed in pieces of this many words, each linked to
# where it is estimated to begin (by its words' share of the cue's time: the engines give no word
# times), so that a hit starts the recording within seconds of the word and not at the speech's start.
CUE_WORDS = 16


def _cue_documents(meeting_id: int, cues: list[Any]) -> Iterator[Document]:
    for cue in cues:
        words = clean_text(cue.text).split()
        end = getattr(cue, "end", None)
        span = max(0.0, float(end) - float(cue.start)) if end is not None else 0.0
        for first in range(0, len(words), CUE_WORDS):
            seconds = math.floor(float(cue.start) + span * first / len(words))
            yield Document(meeting_id=meeting_id, kind=Kind.CUE, text=" ".join(words[first:first + CUE_WORDS]),
                           label=cue.speaker, seconds=max(0, seconds),
                           url=f"/meetings/{meeting_id}/?t={max(0, seconds)}")


def minutes_anchor(item_id: str, kind: str = "item", number: Any = None) -> str:
    """The ids the minutes template (minutes_body.html) gives an item, its proposals and its decision."""
    if kind == "proposal":
        return f"proposal-{number}"
    slug = slugify(item_id)
    return f"decision-{slug}" if kind == "decision" else slug


def _minutes_documents(meeting_id: int) -> Iterator[Document]:
    data = minutes_build(meeting_id=meeting_id, public=True)  # exactly what the published minutes show
    page = f"/meetings/{meeting_id}/minutes/"
    for item in data["agenda_items"]:
        case = item.get("case_number") or ""
        yield Document(meeting_id=meeting_id, kind=Kind.ITEM, label=case,
                       text=clean_text(f"{case} {item.get('title') or ''}".strip()),
                       url=page + "#" + minutes_anchor(item["id"]))
        for proposal in item["proposals"]:
            yield Document(meeting_id=meeting_id, kind=Kind.PROPOSAL, label=case, text=clean_text(proposal["text"]),
                           url=page + "#" + minutes_anchor(item["id"], "proposal", proposal["number"]))
        if item.get("decision"):
            yield Document(meeting_id=meeting_id, kind=Kind.DECISION, label=case,
                           text=clean_text(str(item["decision"])),
                           url=page + "#" + minutes_anchor(item["id"], "decision"))


def _documents(meeting: Meeting) -> list[Document]:
    if not visibility.meeting_is_public(meeting.state):
        return []
    found: list[Document] = []
    captions = public_cues(meeting_id=meeting.id)
    if captions is not None:
        found += _cue_documents(meeting.id, captions[1])
    if MinutesRecord.objects.filter(meeting=meeting, status=MinutesStatus.PUBLISHED).exists():
        found += _minutes_documents(meeting.id)
    found = [d for d in found if d.text.strip()]
    for position, document in enumerate(found):
        document.position = position
    return found


def search_reindex_meeting(*, meeting_id: int) -> int:
    """Replace the meeting's rows in the index with what its public captions and published minutes
    say now; a meeting that is not public (or no longer exists) keeps none. Returns the row count."""
    with transaction.atomic():
        # Locked, so that two refreshes of one meeting (captions and minutes at once) do not interleave.
        meeting = Meeting.objects.select_for_update().filter(id=meeting_id).first()
        documents = _documents(meeting) if meeting is not None else []
        Document.objects.filter(meeting_id=meeting_id).delete()
        Document.objects.bulk_create(documents)
    return len(documents)


def search_reindex_all() -> dict[int, int]:
    """Every meeting's rows afresh (`manage.py search_reindex`); a deleted meeting's go with it (CASCADE)."""
    return {meeting_id: search_reindex_meeting(meeting_id=meeting_id)
            for meeting_id in Meeting.objects.order_by("id").values_list("id", flat=True)}
