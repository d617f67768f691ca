"""Closing the doors (§ 11-5): motion with a legal ground, optional closed debate, the vote in
open session (see votes.vote_open/vote_close), and reopening.

Every doors event is written here, through `_doors_append`, which asks the doors table
(`state.DOORS_TRANSITIONS`) whether the transition is legal before it appends: the table is the
only place that says what the doors may do; this module adds the checks on the motion and votes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .. import preconditions
from ..exceptions import InvalidInput
from ..legal import ClosureGround, ground_words, in_meeting_language
from ..models import Meeting, MeetingEvent, Person
from ..preconditions import check_closure_ground_allowed
from ..state import DOORS_EVENTS, doors_state_of, next_doors_state
from .access import person_for_user, require_chair
from .common import clean_text, item_of, require_in_session
from .log import log_append, meeting_lock


def _doors_append(*, meeting: Meeting, type: str, actor: Person | None, payload: dict[str, Any]) -> MeetingEvent:
    """Append a doors event if the table allows it from the doors as they are (IllegalTransition,
    code `doors_closed` / `doors_open`, if not). The caller holds the meeting lock."""
    next_doors_state(doors_state_of(meeting.live_state["doors"]), DOORS_EVENTS[type])
    return log_append(meeting=meeting, type=type, actor=actor, payload=payload)


def doors_motion(*, user: Any, meeting_id: int, ground: str, item_id: int | None = None, reason: str = "") -> Meeting:
    """Move that the meeting be closed for an item, on a ground from § 11-5 (2) or (3)."""
    if ground not in ClosureGround.values:
        raise InvalidInput("a closure needs a legal ground: one of %(values)s",
            params={"values": ', '.join(ClosureGround.values)},
                           code="closure_ground_required")
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        require_in_session(meeting)
        state = meeting.live_state
        check_closure_ground_allowed(meeting=meeting, ground=ground)
        next_doors_state(doors_state_of(state["doors"]), "motion")  # refused behind closed doors, before the rest
        preconditions.no_closure_motion(state)
        item = item_of(meeting, item_id or state.get("current_item"))
        _doors_append(meeting=meeting, type="doors.motion", actor=person, payload={
            "person": person.id, "ground": ground, "ground_text": in_meeting_language(lambda: ground_words(ground)),
            "item": item.id,
            "case_number": item.case_number, "title": item.title_for_public,
            "reason": clean_text(reason, field="reason", required=False)})
    return meeting


def doors_close_debate(*, user: Any, meeting_id: int) -> Meeting:
    """§ 11-5 (5): the chair may hold the debate on closing in closed session (the vote stays open)."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        next_doors_state(doors_state_of(meeting.live_state["doors"]), "debate_closed")  # before the motion check
        motion = preconditions.closure_motion(meeting.live_state)
        # The vote on closing is held in open session (§ 11-5 (5)), and no vote changes doors midway.
        preconditions.no_open_vote(meeting.live_state)
        _doors_append(meeting=meeting, type="doors.debate_closed", actor=person, payload={
            "ground": motion["ground"], "item": int(motion["item"]) if motion["item"] else None})
    return meeting


def doors_open(*, user: Any, meeting_id: int, reason: str = "") -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        next_doors_state(doors_state_of(meeting.live_state["doors"]), "opened")  # before the vote check
        preconditions.no_open_vote(meeting.live_state)
        _doors_append(meeting=meeting, type="doors.opened", actor=person, payload={
            "reason": clean_text(reason, field="reason", required=False)})
    return meeting


# Doors events written as part of another service's transaction (the caller holds the meeting lock).

def doors_open_for_closure_vote(*, meeting: Meeting, actor: Person) -> None:
    """§ 11-5 (5): the debate on closing may be closed, the vote on closing is held in open session."""
    _doors_append(meeting=meeting, type="doors.opened", actor=actor, payload={
        "reason": "the vote on closing is held in open session (kommuneloven § 11-5 (5))"})


def doors_after_closure_vote(*, meeting: Meeting, actor: Person, vote: int, adopted: bool) -> None:
    """The closure vote decided: the doors close on the motion's ground, or the motion falls."""
    motion = meeting.live_state["closure_motion"]
    if adopted:
        _doors_append(meeting=meeting, type="doors.closed", actor=actor, payload={
            "ground": motion["ground"], "item": int(motion["item"]) if motion["item"] else None,
            "vote": vote, "reason": motion.get("reason", "")})
    else:
        _doors_append(meeting=meeting, type="doors.motion_rejected", actor=actor, payload={"vote": vote})


def doors_open_at_end(*, meeting: Meeting, actor: Person) -> None:
    _doors_append(meeting=meeting, type="doors.opened", actor=actor, payload={"reason": "meeting ended"})
