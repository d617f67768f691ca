"""Approval of the minutes, on top of their automatic publication (kommuneloven § 11-4 leaves the
how to the body's rules of procedure, § 11-12). A body approves by two protocol signatories chosen in
the meeting, who each sign the published minutes, or at its next meeting, which the clerk records.
Every step is an event in the meeting's own log (`minutes.signatories_chosen`, `minutes.signed`,
`minutes.approved`), so the minutes, their feed and the archive say the same thing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from meetings.exceptions import IllegalTransition, InvalidInput, LegalRuleViolation, NotFound, PermissionDenied
from meetings.models import Meeting, MeetingEvent
from meetings.presence import voting_persons
from meetings.services.access import person_for_user, person_or_none, require_clerk
from meetings.services.log import log_append, meeting_lock
from meetings.state import LIVE_STATES, MeetingState

SIGNATORIES = 2
SIGNATORIES_METHOD = "signatories"
NEXT_MEETING_METHOD = "next_meeting"


def approval_of(meeting_id: int) -> dict[str, Any]:
    """The approval as the log has it: `method` ("" when the body approves nothing), `approved`,
    `signatories` ([{person, name, signed_at}]) and, once approved, how (`approved_at`, `at_meeting`)."""
    Meeting.objects.only("id").get(id=meeting_id)  # an unknown meeting is the caller's mistake
    return approvals_of([meeting_id])[meeting_id]


def approvals_of(meeting_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`approval_of` for many meetings in two queries (the minutes feed lists fifty)."""
    meetings = Meeting.objects.filter(id__in=meeting_ids).select_related("body").only("id", "body__minutes_approval")
    states = {m.id: initial(m.body.minutes_approval) for m in meetings}
    for e in (MeetingEvent.objects.filter(meeting_id__in=states, type__startswith="minutes.")
              .order_by("meeting_id", "seq").only("meeting_id", "type", "payload", "at")):
        apply(states[e.meeting_id], e.type, e.payload, e.at.isoformat())
    return states


def initial(method: str) -> dict[str, Any]:
    return {"method": method, "approved": False, "signatories": [], "approved_at": None, "at_meeting": None}


def apply(state: dict[str, Any], kind: str, payload: dict[str, Any], at: str) -> None:
    """Folds one approval event into `state` (the minutes' generator uses the same fold)."""
    if kind == "minutes.signatories_chosen":
        state["signatories"] = [{"person": str(p), "name": n, "signed_at": None}
                                for p, n in zip(payload["persons"], payload["names"], strict=True)]
    elif kind == "minutes.signed":
        for s in state["signatories"]:
            if s["person"] == str(payload["person"]):
                s["signed_at"] = at
    elif kind == "minutes.approved":
        at_meeting = None
        if payload.get("at_meeting"):
            at_meeting = {"id": payload["at_meeting"], "title": payload.get("at_meeting_title", ""),
                          "start": payload.get("at_meeting_start"), "case_number": payload.get("case_number", "")}
        state.update(approved=True, approved_at=at, method=payload["method"], at_meeting=at_meeting)


def _require_method(meeting: Meeting, method: str) -> None:
    if meeting.body.minutes_approval != method:
        raise LegalRuleViolation("the body's rules of procedure do not approve minutes this way",
                                 code="approval_method")


def signatories_choose(*, user: Any, meeting_id: int, person_ids: list[int]) -> MeetingEvent:
    """The meeting chooses two of the members present to sign the minutes; the clerk records it,
    in the meeting."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        _require_method(meeting, SIGNATORIES_METHOD)
        if meeting.state not in LIVE_STATES:
            raise IllegalTransition("the signatories are chosen in the meeting", code="not_in_session")
        chosen = [str(p) for p in dict.fromkeys(person_ids)]
        if len(chosen) != SIGNATORIES:
            raise InvalidInput("choose two different members to sign the minutes", code="two_signatories")
        present = voting_persons(meeting.live_state)
        if set(chosen) - set(present):
            raise InvalidInput("the signatories must be members present in the meeting", code="signatory_not_present")
        names = [meeting.live_state["attendance"][p]["name"] for p in chosen]
        return log_append(meeting=meeting, type="minutes.signatories_chosen", actor=person_or_none(user),
                          payload={"persons": [int(p) for p in chosen], "names": names})


def minutes_sign(*, user: Any, meeting_id: int) -> MeetingEvent:
    """A signatory signs the published minutes; the second signature approves them."""
    from .models import MinutesRecord, MinutesStatus

    person = person_for_user(user)
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        _require_method(meeting, SIGNATORIES_METHOD)
        if not MinutesRecord.objects.filter(meeting=meeting, status=MinutesStatus.PUBLISHED).exists():
            raise IllegalTransition("the minutes are signed once they are published", code="minutes_not_published")
        state = approval_of(meeting.id)
        mine = next((s for s in state["signatories"] if s["person"] == str(person.id)), None)
        if mine is None:
            raise PermissionDenied("only the two members chosen in the meeting sign its minutes",
                                   code="not_a_signatory")
        if mine["signed_at"]:
            raise InvalidInput("you have already signed these minutes", code="already_signed")
        event = log_append(meeting=meeting, type="minutes.signed", actor=person,
                           payload={"person": person.id, "name": person.name})
        if all(s["signed_at"] or s["person"] == str(person.id) for s in state["signatories"]):
            log_append(meeting=meeting, type="minutes.approved", actor=person, payload={
                "method": SIGNATORIES_METHOD, "by": [s["name"] for s in state["signatories"]]})
    return event


def approvable_at(meeting: Meeting) -> list[Meeting]:
    """The body's later meetings that have been held or are being held: where the minutes can be approved."""
    return list(Meeting.objects.filter(body=meeting.body, scheduled_start__gt=meeting.scheduled_start,
                                       state__in=[*LIVE_STATES, MeetingState.ENDED]).order_by("scheduled_start"))


def approve_at_meeting(*, user: Any, meeting_id: int, at_meeting_id: int, case_number: str = "") -> MeetingEvent:
    """The clerk records that the body approved these minutes at a later meeting (as a case there)."""
    from meetings.services.common import clean_text

    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        _require_method(meeting, NEXT_MEETING_METHOD)
        if meeting.state != MeetingState.ENDED:
            raise IllegalTransition("minutes are approved after the meeting has ended", code="meeting_not_ended")
        if approval_of(meeting.id)["approved"]:
            raise InvalidInput("these minutes are already approved", code="already_approved")
        at = next((m for m in approvable_at(meeting) if m.id == at_meeting_id), None)
        if at is None:
            raise NotFound("choose a later meeting of the same body that has been held", code="not_a_later_meeting")
        return log_append(meeting=meeting, type="minutes.approved", actor=person_or_none(user), payload={
            "method": NEXT_MEETING_METHOD, "at_meeting": at.id, "at_meeting_title": at.title,
            "at_meeting_start": at.scheduled_start.isoformat(),
            "case_number": clean_text(case_number, field="case_number", max_length=30, required=False)})
