"""Small checks shared by the in-session services."""

from __future__ import annotations

from typing import Any

from .. import preconditions
from ..exceptions import InvalidInput, NotFound
from ..legal import RuleSet, rules_for
from ..models import AgendaItem, Meeting


def require_in_session(meeting: Meeting) -> None:
    preconditions.in_session(meeting.state)


def meeting_rules(meeting: Meeting) -> RuleSet:
    """The rules that bind the meeting's body (§ 11-1), the one place a service learns them."""
    return rules_for(meeting.body.body_type)


def current_item(meeting: Meeting) -> AgendaItem:
    return AgendaItem.objects.get(id=int(preconditions.item_is_open(meeting.live_state)))


def item_of(meeting: Meeting, item_id: Any) -> AgendaItem:
    try:
        return AgendaItem.objects.get(id=int(item_id), meeting=meeting)
    except (AgendaItem.DoesNotExist, ValueError, TypeError):
        raise NotFound("agenda item %(item_id)s is not on this meeting's agenda", params={"item_id": item_id}) from None


def clean_text(value: Any, *, field: str, max_length: int = 4000, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("%(field)s must be text", params={"field": field})
    text = value.strip()
    if required and not text:
        raise InvalidInput("%(field)s is required", params={"field": field})
    if len(text) > max_length:
        raise InvalidInput("%(field)s is longer than %(max_length)s characters",
            params={"field": field, "max_length": max_length})
    return text
