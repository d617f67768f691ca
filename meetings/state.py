"""Pure transition tables for meetings, agenda items, votes and the doors (§ 11-5). No Django except the enums."""

from __future__ import annotations

from django.db import models

from .exceptions import IllegalTransition, Words


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


class DoorsState(models.TextChoices):
    OPEN = "open", "Åpent møte"
    DEBATE_CLOSED = "debate_closed", "Debatten om lukking holdes for lukkede dører (§ 11-5 femte ledd)"
    CLOSED = "closed", "Lukket møte (§ 11-5)"


# § 11-5: a motion to close on a legal ground (open session), the debate on it optionally behind
# closed doors, the vote on it always in open session (so the debate's doors open again first), and
# the doors close only on the adopted vote. A pending motion is a separate fact (`closure_motion`):
# the table says what the doors may do, the services also check the motion.
# Every event leads to one state only, so a reader that missed events (the livestream gate, when
# broadcasts overtake each other) still knows the doors after any doors event (`doors_state_after`).
DOORS_TRANSITIONS: dict[tuple[str, str], str] = {
    (DoorsState.OPEN, "motion"): DoorsState.OPEN,
    (DoorsState.OPEN, "debate_closed"): DoorsState.DEBATE_CLOSED,
    (DoorsState.OPEN, "closed"): DoorsState.CLOSED,
    (DoorsState.OPEN, "motion_rejected"): DoorsState.OPEN,
    (DoorsState.DEBATE_CLOSED, "opened"): DoorsState.OPEN,
    (DoorsState.CLOSED, "opened"): DoorsState.OPEN,
}

# The log's event type for each event of the doors table.
DOORS_EVENTS: dict[str, str] = {
    "doors.motion": "motion", "doors.debate_closed": "debate_closed", "doors.closed": "closed",
    "doors.opened": "opened", "doors.motion_rejected": "motion_rejected",
}


# The states in the words of a refusal (catalogue msgids, worded in the reader's language).
_IN_WORDS: dict[str, str] = {
    MeetingState.DRAFT: "a draft", MeetingState.NOTICE_PUBLISHED: "announced, not yet opened",
    MeetingState.IN_SESSION: "in session", MeetingState.SUSPENDED: "suspended",
    MeetingState.ADJOURNED: "adjourned", MeetingState.ENDED: "ended",
    ItemState.PENDING: "not yet handled", ItemState.HANDLED: "handled", ItemState.DEFERRED: "deferred",
    ItemState.OPEN: "open", VoteState.CLOSED: "closed",  # an item's and a vote's "open" alike
}
_REFUSALS = {
    "meeting": "this cannot be done while the meeting is %(state)s",
    "agenda item": "this cannot be done with an agenda item that is %(state)s",
    "vote": "this cannot be done with a vote that is %(state)s",
}

_DOORS_REFUSALS: dict[str, str] = {
    DoorsState.OPEN: "this cannot be done while the doors are open",
    DoorsState.DEBATE_CLOSED: "this cannot be done while the debate on closing is held behind closed doors",
    DoorsState.CLOSED: "this cannot be done while the doors are closed",
}


def _next(table: dict[tuple[str, str], str], what: str, state: str, event: str) -> str:
    try:
        return table[(state, event)]
    except KeyError:
        words = _IN_WORDS.get(state, state)
        raise IllegalTransition(_REFUSALS[what], params={"state": Words(words)}) from None


def next_meeting_state(state: str, event: str) -> str:
    return _next(MEETING_TRANSITIONS, "meeting", state, event)


def next_item_state(state: str, event: str) -> str:
    return _next(ITEM_TRANSITIONS, "agenda item", state, event)


def next_vote_state(state: str, event: str) -> str:
    return _next(VOTE_TRANSITIONS, "vote", state, event)


def next_doors_state(state: str, event: str) -> str:
    """The doors after `event` (a key of the table: "motion", "closed", ...), or IllegalTransition
    with the code a client can act on: `doors_closed` or `doors_open`."""
    try:
        return DOORS_TRANSITIONS[(state, event)]
    except KeyError:
        code = "doors_open" if state == DoorsState.OPEN else "doors_closed"
        raise IllegalTransition(_DOORS_REFUSALS[state], code=code) from None


def doors_state_after(event: str) -> str:
    """The one state the table leads to after `event`, whatever the doors were before."""
    (target,) = {new for (_, e), new in DOORS_TRANSITIONS.items() if e == event}
    return target


def doors_state_of(doors: dict[str, object]) -> str:
    """The table's state of a live state's `doors` (snapshots written before "state" was kept have
    only the `closed` and `debate_only` flags)."""
    if doors.get("state"):
        return str(doors["state"])
    if not doors.get("closed"):
        return DoorsState.OPEN
    return DoorsState.DEBATE_CLOSED if doors.get("debate_only") else DoorsState.CLOSED
