"""Pure transition tables for meetings, agenda items and votes. No Django except the enums."""

from __future__ import annotations

from django.db import models

from .exceptions import IllegalTransition


class MeetingState(models.TextChoices):
    DRAFT = "draft", "Utkast"
    NOTICE_PUBLISHED = "notice_published", "Innkalling publisert"
    IN_SESSION = "in_session", "Møtet pågår"
    SUSPENDED = "suspended", "Møtet er avbrutt (pause)"
    ADJOURNED = "adjourned", "Møtet er hevet til senere"
    ENDED = "ended", "Møtet er slutt"


# A meeting that is being held: the public stream runs and low-latency viewers are served.
LIVE_STATES = frozenset({MeetingState.IN_SESSION, MeetingState.SUSPENDED})


class ItemState(models.TextChoices):
    PENDING = "pending", "Ikke behandlet"
    OPEN = "open", "Under behandling"
    HANDLED = "handled", "Behandlet"
    DEFERRED = "deferred", "Utsatt"


class VoteState(models.TextChoices):
    OPEN = "open", "Pågår"
    CLOSED = "closed", "Avsluttet"


MEETING_TRANSITIONS: dict[tuple[str, str], str] = {
    (MeetingState.DRAFT, "publish_notice"): MeetingState.NOTICE_PUBLISHED,
    (MeetingState.NOTICE_PUBLISHED, "open"): MeetingState.IN_SESSION,
    (MeetingState.IN_SESSION, "suspend"): MeetingState.SUSPENDED,
    (MeetingState.SUSPENDED, "resume"): MeetingState.IN_SESSION,
    (MeetingState.IN_SESSION, "adjourn"): MeetingState.ADJOURNED,
    (MeetingState.SUSPENDED, "adjourn"): MeetingState.ADJOURNED,
    (MeetingState.ADJOURNED, "resume"): MeetingState.IN_SESSION,
    (MeetingState.IN_SESSION, "end"): MeetingState.ENDED,
    (MeetingState.SUSPENDED, "end"): MeetingState.ENDED,
    (MeetingState.ADJOURNED, "end"): MeetingState.ENDED,
}

ITEM_TRANSITIONS: dict[tuple[str, str], str] = {
    (ItemState.PENDING, "open"): ItemState.OPEN,
    (ItemState.DEFERRED, "open"): ItemState.OPEN,
    (ItemState.OPEN, "close"): ItemState.HANDLED,
    (ItemState.OPEN, "defer"): ItemState.DEFERRED,
    (ItemState.PENDING, "defer"): ItemState.DEFERRED,
}

VOTE_TRANSITIONS: dict[tuple[str, str], str] = {
    (VoteState.OPEN, "close"): VoteState.CLOSED,
}


def _next(table: dict[tuple[str, str], str], what: str, state: str, event: str) -> str:
    try:
        return table[(state, event)]
    except KeyError:
        raise IllegalTransition(f"cannot {event.replace('_', ' ')} a {what} that is {state}") from None


def next_meeting_state(state: str, event: str) -> str:
    return _next(MEETING_TRANSITIONS, "meeting", state, event)


def next_item_state(state: str, event: str) -> str:
    return _next(ITEM_TRANSITIONS, "agenda item", state, event)


def next_vote_state(state: str, event: str) -> str:
    return _next(VOTE_TRANSITIONS, "vote", state, event)
