"""The floor: the speakers list per item, replies (replikk), granting and ending the floor, questions."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .. import preconditions
from ..exceptions import InvalidInput, LegalRuleViolation, NotEligible
from ..models import Meeting, Person
from ..preconditions import check_floor_request
from .access import person_for_user, require_chair
from .common import clean_text, require_in_session
from .log import log_append, meeting_lock

KINDS = {"speech", "reply"}




def floor_request(*, user: Any, meeting_id: int, kind: str = "speech", reply_to: int | None = None) -> Meeting:
    if kind not in KINDS:
        raise InvalidInput("kind must be 'speech' or 'reply'")
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_in_session(meeting)
        state = meeting.live_state
        check_floor_request(state, str(person.id), kind)
        if kind == "reply":
            target = reply_to or (state["floor"] and int(state["floor"]["person"]))
            if not target:
                raise LegalRuleViolation("a reply answers the current speaker; nobody has the floor",
                                         code="nothing_to_reply_to")
            reply_to = int(target)
        log_append(meeting=meeting, type="floor.requested", actor=person, payload={
            "person": person.id, "name": person.name, "kind": kind, "reply_to": reply_to})
    return meeting


def floor_withdraw(*, user: Any, meeting_id: int, kind: str = "speech", person_id: int | None = None) -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        target = person_id or actor.id
        if target != actor.id:
            require_chair(meeting=meeting, person=actor)  # the chair removes someone from the list
        if not any(s["person"] == str(target) and s["kind"] == kind for s in meeting.live_state.get("speakers", [])):
            raise InvalidInput("that person is not on the speakers list", code="not_on_list")
        log_append(meeting=meeting, type="floor.withdrawn", actor=actor, payload={
            "person": target, "kind": kind, "by_chair": target != actor.id})
    return meeting


def speakers_reorder(*, user: Any, meeting_id: int, order: list[dict[str, Any]]) -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair(meeting=meeting, person=actor)
        current = {(s["person"], s["kind"]) for s in meeting.live_state.get("speakers", [])}
        try:
            proposed = [(str(int(o["person"])), str(o["kind"])) for o in order]
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("order must be a list of {person, kind}") from None
        if len(proposed) != len(current) or set(proposed) != current:
            raise InvalidInput("the new order must contain exactly the entries on the speakers list")
        log_append(meeting=meeting, type="speakers.reordered", actor=actor, payload={
            "order": [{"person": int(p), "kind": k} for p, k in proposed]})
    return meeting


def floor_grant(*, user: Any, meeting_id: int, person_id: int | None = None) -> Meeting:
    """Give the floor to `person_id`, or to the first on the speakers list."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair(meeting=meeting, person=actor)
        require_in_session(meeting)
        state = meeting.live_state
        if person_id is None:
            if not state["speakers"]:
                raise LegalRuleViolation("the speakers list is empty", code="no_speakers")
            person_id = int(state["speakers"][0]["person"])
        person = Person.objects.filter(id=person_id).first()
        att = state["attendance"].get(str(person_id))
        if person is None or not att or not att["present"]:
            raise NotEligible("the floor can only be given to someone present", code="not_present")
        entry = next((s for s in state["speakers"] if s["person"] == str(person_id)), None)
        log_append(meeting=meeting, type="floor.granted", actor=actor, payload={
            "person": person_id, "name": person.name, "kind": entry["kind"] if entry else "speech",
            "limit": meeting.speaking_time_seconds})
    return meeting


def floor_end(*, user: Any, meeting_id: int) -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        floor = preconditions.floor_held(meeting.live_state)
        if floor["person"] != str(actor.id):
            require_chair(meeting=meeting, person=actor)
        log_append(meeting=meeting, type="floor.ended", actor=actor, payload={"person": int(floor["person"])})
    return meeting


def question_ask(*, user: Any, meeting_id: int, text: str) -> Meeting:
    """§ 11-2 (4): any member may put questions to the chair, also on matters not on the agenda."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_in_session(meeting)
        preconditions.present_member(meeting.live_state, str(person.id))
        log_append(meeting=meeting, type="question.asked", actor=person, payload={
            "person": person.id, "name": person.name, "text": clean_text(text, field="text")})
    return meeting
