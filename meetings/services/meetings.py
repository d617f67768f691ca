"""Meeting lifecycle: create, notice (§ 11-3), open, suspend/resume/adjourn, end, chair, modes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from .. import clock, preconditions
from ..exceptions import InvalidInput, LegalRuleViolation, NotFound, PermissionDenied
from ..exemptions import profile_coverage
from ..legal import MANDATORY_CLOSURE_GROUNDS, OWN_REMOTE_DECISION, rules_for
from ..models import Body, ExemptionProfile, Meeting, MeetingForm, Membership, Role
from ..state import LIVE_STATES, MeetingState, next_meeting_state
from .access import person_for_user, person_or_none, require_chair, require_clerk
from .common import clean_text
from .log import log_append, meeting_lock


def _body(body_id: int) -> Body:
    try:
        return Body.objects.get(id=body_id)
    except (Body.DoesNotExist, ValueError, TypeError):
        raise NotFound("body %(body_id)s does not exist", params={"body_id": body_id}) from None


def remote_basis(*, body: Body, form: str, on: dt.date) -> dict[str, Any] | None:
    """§ 11-7 (1): the legal basis of a remote meeting, for the log and the minutes; refused without one.

    Any body may meet remotely where the council has allowed it. The council itself needs no prior
    decision for its own meetings: it decides in the notice or the meeting, and the log says so.
    """
    if form != MeetingForm.REMOTE:
        return None
    if body.remote_allowed:
        return {"basis": "council_decision", "ref": body.remote_decision_ref,
                "date": body.remote_decision_date.isoformat() if body.remote_decision_date else None}
    if rules_for(body.body_type).own_remote_decision:
        return {"basis": "own_decision", "ref": OWN_REMOTE_DECISION, "date": on.isoformat()}
    raise LegalRuleViolation(
        "%(name)s may not meet remotely: the council has not allowed remote meetings for it "
        "(kommuneloven § 11-7 (1))", params={"name": body.name},
        code="remote_not_allowed",
    )


def meeting_create(*, user: Any, body_id: int, title: str, scheduled_start: dt.datetime,
                   form: str = MeetingForm.REMOTE, location: str = "", speaking_time_seconds: int = 180) -> Meeting:
    body = _body(body_id)
    require_clerk(user=user, body_id=body.id)
    if form not in MeetingForm.values:
        raise InvalidInput("form must be one of %(values)s", params={"values": ', '.join(MeetingForm.values)})
    basis = remote_basis(body=body, form=form, on=timezone.localdate(scheduled_start))
    chair = Membership.objects.filter(body=body, role=Role.CHAIR).select_related("person").first()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            body=body, title=title, scheduled_start=scheduled_start, form=form,
            location=location or ("Fjernmøte (digitalt møterom)" if form == MeetingForm.REMOTE else ""),
            chair=chair.person if chair else None, speaking_time_seconds=speaking_time_seconds,
        )
        meeting = meeting_lock(meeting.id)
        log_append(meeting=meeting, type="meeting.created", actor=person_or_none(user), payload={
            "title": title, "body": body.name, "form": form, "scheduled_start": scheduled_start.isoformat(),
            "remote_basis": basis,
        })
    return meeting


def meeting_set_form(*, user: Any, meeting_id: int, form: str) -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state not in (MeetingState.DRAFT, MeetingState.NOTICE_PUBLISHED):
            raise LegalRuleViolation("the form of a meeting cannot change once it has opened", code="meeting_started")
        remote_basis(body=meeting.body, form=form, on=timezone.localdate(meeting.scheduled_start))
        if form == MeetingForm.REMOTE \
                and meeting.items.filter(planned_closure_ground__in=MANDATORY_CLOSURE_GROUNDS).exists():
            problem = preconditions.mandatory_closure_remote_problem(meeting)
            if problem:
                raise LegalRuleViolation(
                    "the meeting has an item that must be closed under § 11-5 (2); such a meeting cannot be a "
                    "remote meeting (kommuneloven § 11-7 (3)) without an exemption that covers it: %(problem)s",
                    params={"problem": problem},
                    code="mandatory_closure_remote")
        meeting.form = form
        meeting.save(update_fields=["form"])
    return meeting


def meeting_publish_notice(*, user: Any, meeting_id: int, notice_text: str = "") -> Meeting:
    """§ 11-3: the notice with its case list is published publicly, even for items to be closed."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        meeting.state = next_meeting_state(meeting.state, "publish_notice")
        if not meeting.items.exists():
            raise LegalRuleViolation("a notice needs a case list (kommuneloven § 11-3)", code="empty_case_list")
        meeting.notice_text = notice_text or meeting.notice_text
        meeting.notice_published_at = clock.now()
        meeting.save(update_fields=["notice_text", "notice_published_at"])
        log_append(meeting=meeting, type="notice.published", actor=person_or_none(user), payload={
            "form": meeting.form,
            # The notice is where the council's own decision to meet remotely is made (§ 11-7 (1)).
            "remote_basis": remote_basis(body=meeting.body, form=meeting.form, on=_notice_day(meeting)),
            "scheduled_start": meeting.scheduled_start.isoformat(),
            "location": meeting.location,
            "items": [{"item": i.id, "case_number": i.case_number, "title": i.title_for_public,
                       "planned_closure_ground": i.planned_closure_ground or None} for i in meeting.items.all()],
        })
        from .. import notify
        transaction.on_commit(lambda: notify.notice_published(meeting))
    return meeting


def meeting_set_location(*, user: Any, meeting_id: int, location: str) -> Meeting:
    """Where a physical meeting is held (or, for a remote one, the digital room's name). After the
    notice a change is logged (`meeting.location_changed`) and the members are told."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state not in (MeetingState.DRAFT, MeetingState.NOTICE_PUBLISHED):
            raise LegalRuleViolation("the meeting has opened; its place is in the record", code="agenda_in_meeting")
        location = clean_text(location, field="location", max_length=300, required=False)
        if location == meeting.location:
            return meeting
        meeting.location = location
        meeting.save(update_fields=["location"])
        if meeting.state == MeetingState.NOTICE_PUBLISHED:
            log_append(meeting=meeting, type="meeting.location_changed", actor=person_or_none(user),
                       payload={"location": location})
            from .. import notify
            transaction.on_commit(lambda: notify.notice_changed(meeting, f"Nytt sted: {location or '–'}"))
    return meeting


def _notice_day(meeting: Meeting) -> dt.date:
    return timezone.localdate(meeting.notice_published_at or clock.now())


def _roster(meeting: Meeting) -> dict[str, dict[str, Any]]:
    return {
        str(m.person_id): {"name": m.person.name, "party": m.party.short_name if m.party else "",
                           "role": m.role, "deputy_rank": m.deputy_rank}
        for m in Membership.objects.filter(body=meeting.body).select_related("person", "party")
    }


def meeting_open(*, user: Any, meeting_id: int) -> Meeting:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        meeting.state = next_meeting_state(meeting.state, "open")
        body = meeting.body
        profile = meeting.exemption_profile
        log_append(meeting=meeting, type="meeting.opened", actor=person, payload={
            "body": body.name, "body_type": body.body_type, "seats": body.seats, "form": meeting.form,
            "location": meeting.location, "chair": person.id, "chair_name": person.name,
            "rules": rules_for(body.body_type).summary(),
            "quorum_required": rules_for(body.body_type).quorum_required(body.seats),
            # How these minutes will be approved (the body's rules of procedure, § 11-12): "" for none.
            "minutes_approval": body.minutes_approval,
            "remote_decision": remote_basis(body=body, form=meeting.form, on=_notice_day(meeting)) or {
                "ref": body.remote_decision_ref,
                "date": body.remote_decision_date.isoformat() if body.remote_decision_date else None},
            "exemption_profile": {"instrument": profile.instrument, "title": profile.title} if profile else None,
            "roster": _roster(meeting),
        })
    return meeting


def _simple_transition(event: str, log_type: str) -> Any:
    def service(*, user: Any, meeting_id: int, reason: str = "") -> Meeting:
        with transaction.atomic():
            meeting = meeting_lock(meeting_id)
            person = person_for_user(user)
            require_chair(meeting=meeting, person=person)
            state = meeting.live_state
            if event == "end":
                preconditions.no_open_vote(state, gettext_noop("close the vote in progress before ending the meeting"))
            meeting.state = next_meeting_state(meeting.state, event)
            if event == "end" and state.get("current_item"):
                item_id = state["current_item"]
                log_append(meeting=meeting, type="item.closed", actor=person, payload={"item": int(item_id)})
            if event == "end" and state["doors"]["closed"]:
                from .doors import doors_open_at_end

                doors_open_at_end(meeting=meeting, actor=person)
            log_append(meeting=meeting, type=log_type, actor=person, payload={"reason": reason})
        return meeting

    service.__name__ = f"meeting_{event}"
    return service


meeting_suspend = _simple_transition("suspend", "meeting.suspended")
meeting_resume = _simple_transition("resume", "meeting.resumed")
meeting_adjourn = _simple_transition("adjourn", "meeting.adjourned")
meeting_end = _simple_transition("end", "meeting.ended")


def meeting_set_chair(*, user: Any, meeting_id: int, person_id: int, elected: bool = False) -> Meeting:
    """§ 11-2 (3): the deputy chair takes over, or a chair elected for the meeting."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        from .access import chair_id, is_clerk
        if chair_id(meeting) != actor.id and not is_clerk(user=user, body_id=meeting.body_id):
            raise PermissionDenied("only the chair or the clerk may hand over the chair")
        target = Membership.objects.filter(body=meeting.body, person_id=person_id).select_related("person").first()
        if target is None or target.role not in (Role.CHAIR, Role.DEPUTY_CHAIR, Role.MEMBER, Role.DEPUTY):
            raise InvalidInput("the new chair must be a member of the body")
        if target.role not in (Role.CHAIR, Role.DEPUTY_CHAIR) and not elected:
            raise LegalRuleViolation("only the chair or deputy chair leads the meeting unless a chair is elected "
                                     "for it (kommuneloven § 11-2 (3))", code="chair_not_elected")
        meeting.chair = target.person
        meeting.save(update_fields=["chair"])
        log_append(meeting=meeting, type="meeting.chair_changed", actor=actor, payload={
            "person": target.person_id, "name": target.person.name, "elected": elected})
    return meeting


def meeting_apply_exemption(*, user: Any, meeting_id: int, profile_id: int) -> Meeting:
    """§ 11-7 (4): attach a dated exemption profile; refused unless it covers the meeting's date
    (`exemptions.profile_coverage`). Each use of it is checked again when it happens."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        try:
            profile = ExemptionProfile.objects.get(id=profile_id)
        except (ExemptionProfile.DoesNotExist, ValueError, TypeError):
            raise NotFound("exemption profile %(profile_id)s does not exist",
                params={"profile_id": profile_id}) from None
        problem = profile_coverage(profile, meeting)
        if problem:
            raise LegalRuleViolation(problem, code="exemption_not_in_force")
        meeting.exemption_profile = profile
        meeting.save(update_fields=["exemption_profile"])
        log_append(meeting=meeting, type="exemption.applied", actor=person_or_none(user), payload={
            "instrument": profile.instrument, "title": profile.title, "valid_from": profile.valid_from.isoformat(),
            "valid_to": profile.valid_to.isoformat(), "allows": {
                "audio_only": profile.allows_audio_only, "no_public_stream": profile.allows_no_public_stream,
                "closed_11_5_2_remote": profile.allows_closed_11_5_2_remote}})
    return meeting


MODES = {"normal", "audio_only", "no_public_stream"}


def meeting_set_mode(*, user: Any, meeting_id: int, mode: str, reason: str = "") -> Meeting:
    """Switch meeting-wide mode. Anything but normal needs an exemption profile that covers the
    meeting, allows the mode and is in force now."""
    if mode not in MODES:
        raise InvalidInput("mode must be one of %(values)s", params={"values": ', '.join(sorted(MODES))})
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        if meeting.state != MeetingState.IN_SESSION:
            raise LegalRuleViolation("the meeting is not in session", code="not_in_session")
        instrument = None
        if mode != "normal":
            profile = meeting.exemption_profile
            problem = profile_coverage(profile, meeting, allows=mode, at=clock.now())
            if problem:
                raise LegalRuleViolation(
                    "mode %(mode)s needs an exemption profile in force that allows it (kommuneloven § 11-7 (2) "
                    "and (4)): %(problem)s", params={"mode": mode, "problem": problem}, code="mode_not_allowed")
            assert profile is not None
            instrument = profile.instrument
        if meeting.live_state["meeting"]["mode"] == mode:
            return meeting
        log_append(meeting=meeting, type="mode.changed", actor=person, payload={
            "mode": mode, "instrument": instrument, "reason": reason})
    return meeting


def stream_report(*, meeting_id: int, up: bool, reason: str = "") -> bool:
    """System call from the public stream: log when the public could or could not follow."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        if meeting.state not in LIVE_STATES:
            return False
        if meeting.live_state.get("stream", {}).get("up", True) == up:
            return False
        log_append(meeting=meeting, type="stream.state", payload={"up": up, "reason": reason})
    return True
