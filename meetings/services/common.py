"""Small checks shared by the in-session services."""

from __future__ import annotations

from typing import Any

from ..exceptions import IllegalTransition, InvalidInput, NotFound
from ..legal import RuleSet, rules_for
from ..models import AgendaItem, Meeting
from ..state import MeetingState


def require_in_session(meeting: Meeting) -> None:
    if meeting.state != MeetingState.IN_SESSION:
        raise IllegalTransition(f"the meeting is not in session (it is {meeting.get_state_display().lower()})",
                                code="not_in_session")


def meeting_rules(meeting: Meeting) -> RuleSet:
    """The rules that bind the meeting's body (§ 11-1), the one place a service learns them."""
    return rules_for(meeting.body.body_type)


def current_item(meeting: Meeting) -> AgendaItem:
    item_id = meeting.live_state.get("current_item")
    if not item_id:
        raise IllegalTransition("no agenda item is open", code="no_item_open")
    return AgendaItem.objects.get(id=int(item_id))


def item_of(meeting: Meeting, item_id: Any) -> AgendaItem:
    try:
        return AgendaItem.objects.get(id=int(item_id), meeting=meeting)
    except (AgendaItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"agenda item {item_id} is not on this meeting's agenda") from None


def clean_text(value: Any, *, field: str, max_length: int = 4000, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text")
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{field} is required")
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters")
    return text
