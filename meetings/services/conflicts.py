"""Conflicts of interest (inhabilitet, § 11-10 / forvaltningsloven ch. II) and personal exemption
(fritak, § 11-11): the member declares, the body rules, and the ruling's legal basis is minuted (§ 11-4 (2))."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .. import preconditions
from ..exceptions import InvalidInput, LegalRuleViolation
from ..models import Meeting, Person
from .access import person_for_user, require_chair
from .common import clean_text, item_of, require_in_session
from .log import log_append, meeting_lock

KINDS = {"conflict_of_interest", "personal_exemption"}


def conflict_declare(*, user: Any, meeting_id: int, item_id: int, kind: str = "conflict_of_interest",
                     reason: str = "") -> Meeting:
    if kind not in KINDS:
        raise InvalidInput("kind must be one of %(values)s", params={"values": ', '.join(sorted(KINDS))})
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_in_session(meeting)
        item = item_of(meeting, item_id)
        preconditions.present(meeting.live_state, str(person.id))
        log_append(meeting=meeting, type="conflict.declared", actor=person, payload={
            "person": person.id, "name": person.name, "item": item.id, "case_number": item.case_number,
            "kind": kind, "reason": clean_text(reason, field="reason", required=False)})
    return meeting


def conflict_rule(*, user: Any, meeting_id: int, item_id: int, person_id: int, recused: bool,
                  legal_basis: str, kind: str = "conflict_of_interest", vote: int | None = None) -> Meeting:
    """Record the body's ruling. A recused member leaves the item: out of the speakers list, the
    quorum base and the vote (the media worker stops forwarding them for the item)."""
    if kind not in KINDS:
        raise InvalidInput("kind must be one of %(values)s", params={"values": ', '.join(sorted(KINDS))})
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        chair = person_for_user(user)
        require_chair(meeting=meeting, person=chair)
        require_in_session(meeting)
        item = item_of(meeting, item_id)
        basis = clean_text(legal_basis, field="legal_basis", max_length=300)
        person = Person.objects.filter(id=person_id).first()
        if person is None or str(person_id) not in meeting.live_state["attendance"]:
            raise InvalidInput("the ruling must concern a member taking part in the meeting")
        open_vote = meeting.live_state.get("open_vote")
        if open_vote and meeting.live_state["votes"][open_vote]["item"] == str(item.id):
            raise LegalRuleViolation("rule on conflicts of interest before the vote", code="vote_open")
        log_append(meeting=meeting, type="conflict.ruled", actor=chair, payload={
            "person": person_id, "name": person.name, "item": item.id, "case_number": item.case_number,
            "kind": kind, "recused": bool(recused), "legal_basis": basis, "vote": vote})
    return meeting
