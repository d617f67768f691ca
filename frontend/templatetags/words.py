"""Codes in words, in the page's language: a meeting's state and a closure ground (legal.ground_words).
The models' TextChoices labels stay bokmål because the migrations hold them; pages say codes through
these filters."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

from meetings.legal import ground_words
from meetings.state import MeetingState

register = template.Library()

_MEETING_STATES = {
    MeetingState.DRAFT: pgettext_lazy("meeting state", "Draft"),
    MeetingState.NOTICE_PUBLISHED: pgettext_lazy("meeting state", "Notice published"),
    MeetingState.IN_SESSION: pgettext_lazy("meeting state", "In session"),
    MeetingState.SUSPENDED: pgettext_lazy("meeting state", "Suspended"),
    MeetingState.ADJOURNED: pgettext_lazy("meeting state", "Adjourned"),
    MeetingState.ENDED: pgettext_lazy("meeting state", "Ended"),
}


@register.filter
def meeting_state(code: str) -> str:
    return str(_MEETING_STATES.get(code, code))  # type: ignore[call-overload]


@register.filter
def ground(code: str | None) -> str:
    return ground_words(code)
