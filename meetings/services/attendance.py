"""Attendance: joining and leaving, roll call, absences and deputies, and see-and-hear state."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from .. import preconditions
from ..exceptions import InvalidInput, LegalRuleViolation, NotFound, PermissionDenied
from ..models import Meeting, MeetingForm, Membership, Person, Role
from .access import person_for_user, require_chair, require_chair_or_clerk, require_participant
from .common import clean_text
from .log import log_append, meeting_lock


def _party(m: Membership) -> str:
    return m.party.short_name if m.party else (m.person.party.short_name if m.person.party else "")


def participant_role(*, meeting: Meeting, person: Person) -> dict[str, Any]:
    """How `person` takes part: as member, chair, clerk, or deputy summoned for an absent member."""
    m = require_participant(meeting=meeting, person=person)
    role = "chair" if meeting.live_state.get("meeting", {}).get("chair") == str(person.id) else m.role
    info: dict[str, Any] = {"role": role, "party": _party(m), "substitute_for": None}
    if m.role == Role.DEPUTY:
        summoned_for = next((pid for pid, a in meeting.live_state.get("absent", {}).items()
                             if a.get("deputy") == str(person.id)), None)
        if summoned_for is None:
            raise PermissionDenied("deputies take part only when summoned for an absent member", code="not_summoned")
        info["substitute_for"] = int(summoned_for)
    return info


def member_join(*, user: Any, meeting_id: int) -> Meeting:
    """A member joins the remote meeting from the platform. Idempotent: a reconnect is not a new arrival."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        info = participant_role(meeting=meeting, person=person)
        preconditions.joinable(meeting.state)
        if meeting.form != MeetingForm.REMOTE and info["role"] != Role.CLERK:
            raise LegalRuleViolation(
                "this is a physical meeting: joining remotely would make it a remote meeting (kommuneloven § 11-7; "
                "KMD 1 Sept 2020: a hybrid meeting is a remote meeting)", code="physical_meeting")
        att = meeting.live_state.get("attendance", {}).get(str(person.id))
        if att and att["present"]:
            return meeting
        log_append(meeting=meeting, type="member.joined", actor=person, payload={
            "person": person.id, "name": person.name, "party": info["party"], "role": info["role"],
            "substitute_for": info["substitute_for"], "remote": meeting.form == MeetingForm.REMOTE})
    return meeting


def member_leave(*, user: Any, meeting_id: int, person_id: int | None = None) -> Meeting:
    """A member leaves (or the chair records that they left)."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        target_id = person_id or actor.id
        if target_id != actor.id:
            require_chair(meeting=meeting, person=actor)
            if not Membership.objects.filter(body=meeting.body, person_id=target_id).exists():
                raise NotFound("person %(target_id)s is not a member, deputy or clerk of %(name)s",
                    params={"target_id": target_id, "name": meeting.body.name})
        att = meeting.live_state.get("attendance", {}).get(str(target_id))
        if not att or not att["present"]:
            return meeting
        vote_no = meeting.live_state.get("open_vote")
        log_append(meeting=meeting, type="member.left", actor=actor, payload={
            "person": target_id, "name": att["name"], "during_vote": int(vote_no) if vote_no else None})
    return meeting


def roll_call(*, user: Any, meeting_id: int, present: list[int], absent: dict[str, str] | None = None,
              in_room: list[int] | None = None) -> Meeting:
    """The chair's roll call: marks members present and absences with reasons. In a remote meeting
    `in_room` lists those sitting in the meeting room itself (a hybrid meeting): they count without
    media; everyone else in `present` counts only once the media server measures them (presence.py)."""
    absent = absent or {}
    in_room_ids = set(in_room or [])
    present = [*present, *[p for p in (in_room or []) if p not in present]]
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair(meeting=meeting, person=actor)
        preconditions.joinable(meeting.state)
        overlap = {str(p) for p in present} & set(absent)
        if overlap:
            raise InvalidInput("persons both present and absent: %(values)s",
                params={"values": ', '.join(sorted(overlap))})
        for pid in present:
            person = Person.objects.filter(id=pid).first()
            if person is None:
                raise NotFound("person %(pid)s does not exist", params={"pid": pid})
            info = participant_role(meeting=meeting, person=person)
            att = meeting.live_state.get("attendance", {}).get(str(pid))
            if att and att["present"]:
                if pid in in_room_ids and not att.get("in_room"):
                    _log_in_room(meeting=meeting, actor=actor, person_id=pid, name=att["name"], in_room=True)
                continue
            log_append(meeting=meeting, type="member.joined", actor=actor, payload={
                "person": person.id, "name": person.name, "party": info["party"], "role": info["role"],
                "substitute_for": info["substitute_for"], "remote": meeting.form == MeetingForm.REMOTE,
                "roll_call": True, "in_room": pid in in_room_ids})
        for absent_pid, reason in absent.items():
            _absence(meeting=meeting, actor=actor, person_id=int(absent_pid), reason=reason)
    return meeting


def _log_in_room(*, meeting: Meeting, actor: Person, person_id: int, name: str, in_room: bool) -> None:
    log_append(meeting=meeting, type="member.in_room", actor=actor, payload={
        "person": person_id, "name": name, "in_room": in_room})


def member_set_in_room(*, user: Any, meeting_id: int, person_id: int, in_room: bool) -> Meeting:
    """The chair or the clerk registers that a member sits in the meeting room itself (or no longer
    does). In a remote meeting such a member counts as seeing and hearing without media: the others
    see and hear the room (a hybrid meeting is a remote meeting, KMD 1 Sept 2020)."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair_or_clerk(user=user, meeting=meeting, person=actor)
        att = meeting.live_state.get("attendance", {}).get(str(person_id))
        if not att or not att["present"]:
            raise LegalRuleViolation("only a member registered as present can be in the room", code="not_present")
        if bool(att.get("in_room")) != in_room:
            _log_in_room(meeting=meeting, actor=actor, person_id=person_id, name=att["name"], in_room=in_room)
    return meeting


def _absence(*, meeting: Meeting, actor: Person, person_id: int, reason: str) -> None:
    m = Membership.objects.filter(body=meeting.body, person_id=person_id).select_related("person").first()
    if m is None or not m.is_seated:
        raise InvalidInput("person %(person_id)s is not a member of %(name)s",
            params={"person_id": person_id, "name": meeting.body.name})
    log_append(meeting=meeting, type="member.absent", actor=actor, payload={
        "person": person_id, "name": m.person.name, "reason": clean_text(reason, field="reason", required=False)})


def absence_register(*, user: Any, meeting_id: int, person_id: int, reason: str = "") -> Meeting:
    """§ 8-1 (1): register a valid absence (forfall); the clerk does this before the meeting, the chair in it."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair_or_clerk(user=user, meeting=meeting, person=actor)
        _absence(meeting=meeting, actor=actor, person_id=person_id, reason=reason)
    return meeting


def absence_report(*, user: Any, meeting_id: int, reason: str = "") -> Meeting:
    """§ 8-1 (1): a member reports their own absence (forfall) before or during the meeting; the
    body's clerks get an e-mail so that they can summon a deputy."""
    from .. import notify
    from ..state import MeetingState

    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        if meeting.state == MeetingState.ENDED:
            raise LegalRuleViolation("the meeting has ended", code="meeting_ended")
        if str(person.id) in meeting.live_state.get("absent", {}):
            raise LegalRuleViolation("your absence is already registered", code="absence_already_registered")
        if meeting.live_state.get("attendance", {}).get(str(person.id), {}).get("present"):
            raise LegalRuleViolation("you are registered as present; leave the meeting first", code="present")
        _absence(meeting=meeting, actor=person, person_id=person.id, reason=reason)
        text = clean_text(reason, field="reason", required=False)
        transaction.on_commit(lambda: notify.absence_reported(meeting, person, text))
    return meeting


def _deputies(meeting: Meeting) -> QuerySet[Membership]:
    return Membership.objects.filter(body=meeting.body, role=Role.DEPUTY).select_related("person", "party")


def _summoned(state: dict[str, Any]) -> set[str]:
    return {str(a["deputy"]) for a in state.get("absent", {}).values() if a.get("deputy")}


def next_deputy(meeting: Meeting, member_id: int) -> Membership | None:
    """The deputy next in the member's party's order of varamedlemmer (by rank) not yet summoned."""
    member = Membership.objects.filter(body=meeting.body, person_id=member_id).select_related("party").first()
    taken = _summoned(meeting.live_state)
    same_party = _deputies(meeting).filter(party=member.party if member else None).order_by("deputy_rank")
    return next((d for d in same_party if str(d.person_id) not in taken), None)


def deputy_summon(*, user: Any, meeting_id: int, for_member_id: int, deputy_id: int | None = None) -> Person:
    """Summon a deputy for an absent member: the given one, or the next by rank from the member's party."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        actor = person_for_user(user)
        require_chair_or_clerk(user=user, meeting=meeting, person=actor)
        state = meeting.live_state
        member_key = str(for_member_id)
        if member_key not in state.get("absent", {}):
            raise LegalRuleViolation("a deputy is summoned only for a member registered absent",
                                     code="member_not_absent")
        if state["absent"][member_key].get("deputy"):
            raise LegalRuleViolation("a deputy is already summoned for that member", code="deputy_already_summoned")
        taken = _summoned(state)
        deputy: Membership | None
        if deputy_id is not None:
            deputy = _deputies(meeting).filter(person_id=deputy_id).first()
            if deputy is None:
                raise InvalidInput("person %(deputy_id)s is not a deputy of %(name)s",
                    params={"deputy_id": deputy_id, "name": meeting.body.name})
        else:
            deputy = next_deputy(meeting, for_member_id)
            if deputy is None:
                raise LegalRuleViolation("no free deputy left for that member's party", code="no_deputy")
        if str(deputy.person_id) in taken:
            raise LegalRuleViolation("that deputy is already summoned", code="deputy_already_summoned")
        absent_member = Person.objects.get(id=for_member_id)
        log_append(meeting=meeting, type="deputy.summoned", actor=actor, payload={
            "deputy": deputy.person_id, "name": deputy.person.name, "for_member": for_member_id,
            "for_name": absent_member.name, "rank": deputy.deputy_rank})
        from .. import notify

        transaction.on_commit(lambda: notify.deputy_summoned(meeting, deputy.person, absent_member.name))
    return deputy.person


def member_media_report(*, meeting_id: int, person_id: int, reason: str = "", **media: bool) -> bool:
    """System call from the media worker: what actually arrives from and reaches a member (§ 11-7 (2)).

    Logs `member.media` only when something changed; returns whether it did.
    """
    allowed = {"sends_audio", "sends_video", "receives", "audio_only"}
    if set(media) - allowed:
        raise InvalidInput("unknown media fields: %(values)s",
            params={"values": ', '.join(sorted(set(media) - allowed))})
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        att = meeting.live_state.get("attendance", {}).get(str(person_id))
        if not att or not att["present"]:
            return False
        current = {**att["media"], "audio_only": att["audio_only"]}
        if not att["media"].get("measured") and set(media) - {"audio_only"}:
            # The first measurement is logged whole: until it, the member is "connecting".
            changed = {k: bool(v) for k, v in media.items()}
        else:
            changed = {k: bool(v) for k, v in media.items() if current.get(k) != bool(v)}
        if not changed:
            return False
        log_append(meeting=meeting, type="member.media", payload={
            "person": person_id, "name": att["name"], **changed, "reason": reason})
    return True


def member_set_audio_only(*, user: Any, meeting_id: int, on: bool) -> bool:
    """The member's own choice to receive audio only (a poor link); logged as degraded."""
    person = person_for_user(user)
    return member_media_report(meeting_id=meeting_id, person_id=person.id, audio_only=bool(on),
                               reason="member's choice")
