"""The meeting commands, one table shared by the WebSocket protocol and the REST API.

Each command names its input schema (a DRF serializer: strict, with clear messages) and the one
service it calls. Consumers and views only look up a command here, validate, call, and reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from rest_framework import serializers

from .exceptions import InvalidInput
from .ids import MAX_ID
from .legal import ClosureGround, VoteKind
from .services import agenda, attendance, conflicts, doors, floor, log, meetings, votes


class IdField(serializers.IntegerField):
    """A JSON integer, or a string of ASCII digits (DRF's own field also reads "٣" and " 3" as numbers)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not (data.isascii() and data.isdigit()):
            self.fail("invalid")
        return int(super().to_internal_value(data))


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """The one integer field for every person, item, proposal and vote reference in a payload: a larger
    number than MAX_ID would overflow the query (a 500), zero or less never names a row."""
    return IdField(min_value=1, max_value=MAX_ID, **kwargs)


def optional_id_field() -> serializers.IntegerField:
    return id_field(required=False, allow_null=True, default=None)


class Empty(serializers.Serializer):
    pass


class Reason(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SetChair(serializers.Serializer):
    person_id = id_field()
    elected = serializers.BooleanField(default=False)


class SetMode(serializers.Serializer):
    mode = serializers.ChoiceField(choices=sorted(meetings.MODES))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class Leave(serializers.Serializer):
    person_id = optional_id_field()


class AudioOnly(serializers.Serializer):
    on = serializers.BooleanField()


class RollCall(serializers.Serializer):
    present = serializers.ListField(child=id_field(), max_length=500, default=list)
    in_room = serializers.ListField(child=id_field(), max_length=500, default=list)
    absent = serializers.DictField(child=serializers.CharField(max_length=500, allow_blank=True), default=dict)

    def validate_absent(self, value: dict[str, str]) -> dict[str, str]:
        # JSON object keys are always strings; here they must be person ids like every other id.
        if len(value) > 500:
            raise serializers.ValidationError("at most 500 absences in one roll call")
        for key in value:
            if not (key.isascii() and key.isdigit() and 1 <= int(key) <= MAX_ID):
                raise serializers.ValidationError(f"{key[:30]!r} is not a person id (a positive integer)")
        return {str(int(key)): reason for key, reason in value.items()}


class InRoom(serializers.Serializer):
    person_id = id_field()
    in_room = serializers.BooleanField()


class Absence(serializers.Serializer):
    person_id = id_field()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class Summon(serializers.Serializer):
    for_member_id = id_field()
    deputy_id = optional_id_field()


class ItemRef(serializers.Serializer):
    item_id = id_field()


class ItemClose(ItemRef):
    defer = serializers.BooleanField(default=False)


class LateItem(serializers.Serializer):
    case_number = serializers.CharField(max_length=30)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    chair_objects = serializers.BooleanField(default=False)
    objecting_person_ids = serializers.ListField(child=id_field(), max_length=500, default=list)
    public_title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FloorRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(floor.KINDS), default="speech")
    reply_to = optional_id_field()


class FloorWithdraw(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(floor.KINDS), default="speech")
    person_id = optional_id_field()


class SpeakerEntry(serializers.Serializer):
    person = id_field()
    kind = serializers.ChoiceField(choices=sorted(floor.KINDS))


class Reorder(serializers.Serializer):
    order = SpeakerEntry(many=True)


class Grant(serializers.Serializer):
    person_id = optional_id_field()


class Text(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class ProposalRef(serializers.Serializer):
    proposal = id_field()


class VoteOpen(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VoteKind.values, default=VoteKind.ORDINARY)
    proposals = serializers.ListField(child=id_field(), max_length=50, default=list)
    candidates = serializers.ListField(child=serializers.CharField(max_length=200), max_length=100, default=list)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    written = serializers.BooleanField(default=False)
    office = serializers.ChoiceField(choices=["", "ordforer", "varaordforer"], required=False, default="")


class VoteCast(serializers.Serializer):
    vote = id_field()
    choice = serializers.CharField(max_length=200)


class VoteRef(serializers.Serializer):
    vote = id_field()


class DoorsMotion(serializers.Serializer):
    ground = serializers.ChoiceField(choices=ClosureGround.values)
    item_id = optional_id_field()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConflictDeclare(ItemRef):
    kind = serializers.ChoiceField(choices=sorted(conflicts.KINDS), default="conflict_of_interest")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConflictRule(ItemRef):
    person_id = id_field()
    recused = serializers.BooleanField()
    legal_basis = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=sorted(conflicts.KINDS), default="conflict_of_interest")


@dataclass(frozen=True)
class Command:
    schema: type[serializers.Serializer]
    service: Callable[..., Any]
    doc: str


COMMANDS: dict[str, Command] = {
    "meeting.open": Command(Empty, meetings.meeting_open, "Chair opens the meeting (notice must be published)"),
    "meeting.suspend": Command(Reason, meetings.meeting_suspend, "Chair suspends (pause)"),
    "meeting.resume": Command(Reason, meetings.meeting_resume, "Chair resumes a suspended/adjourned meeting"),
    "meeting.adjourn": Command(Reason, meetings.meeting_adjourn, "Chair adjourns to a later time"),
    "meeting.end": Command(Reason, meetings.meeting_end, "Chair ends the meeting"),
    "meeting.set_chair": Command(SetChair, meetings.meeting_set_chair, "Hand over the chair (§ 11-2 (3))"),
    "meeting.set_mode": Command(SetMode, meetings.meeting_set_mode, "Meeting-wide mode under an exemption profile"),
    "member.join": Command(Empty, attendance.member_join, "Join the meeting (attendance)"),
    "member.leave": Command(Leave, attendance.member_leave, "Leave (or chair records someone leaving)"),
    "member.audio_only": Command(AudioOnly, attendance.member_set_audio_only, "Receive audio only (degraded)"),
    "roll_call": Command(RollCall, attendance.roll_call, "Chair's roll call (in_room: sitting in the room itself)"),
    "member.in_room": Command(InRoom, attendance.member_set_in_room,
                              "Chair or clerk registers a member as sitting in the meeting room "
                              "(counts without media)"),
    "absence.register": Command(Absence, attendance.absence_register, "Register an absence (forfall)"),
    "deputy.summon": Command(Summon, attendance.deputy_summon, "Summon a deputy for an absent member"),
    "item.open": Command(ItemRef, agenda.item_open, "Chair opens an agenda item"),
    "item.close": Command(ItemClose, agenda.item_close, "Chair closes (or defers) the item"),
    "item.add_late": Command(LateItem, agenda.item_add_late, "Add a case not on the notice (§ 11-3 (5))"),
    "floor.request": Command(FloorRequest, floor.floor_request, "Ask for the floor or a reply (replikk)"),
    "floor.withdraw": Command(FloorWithdraw, floor.floor_withdraw, "Withdraw from the speakers list"),
    "speakers.reorder": Command(Reorder, floor.speakers_reorder, "Chair reorders the speakers list"),
    "floor.grant": Command(Grant, floor.floor_grant, "Chair gives the floor"),
    "floor.end": Command(Empty, floor.floor_end, "End the current speech"),
    "question.ask": Command(Text, floor.question_ask, "Question to the chair (§ 11-2 (4))"),
    "proposal.submit": Command(Text, votes.proposal_submit, "Put forward a proposal on the current item"),
    "proposal.withdraw": Command(ProposalRef, votes.proposal_withdraw, "Withdraw a proposal"),
    "vote.open": Command(VoteOpen, votes.vote_open, "Chair opens a vote"),
    "vote.cast": Command(VoteCast, votes.vote_cast, "Cast a ballot"),
    "vote.demand_written": Command(Empty, votes.vote_demand_written,
                                   "Demand a written ballot in the coming election or appointment"),
    "vote.close": Command(VoteRef, votes.vote_close, "Chair closes the vote; the result is computed"),
    "doors.motion": Command(DoorsMotion, doors.doors_motion, "Move to close the doors on a legal ground"),
    "doors.close_debate": Command(Empty, doors.doors_close_debate, "Hold the debate on closing in closed session"),
    "doors.open": Command(Reason, doors.doors_open, "Reopen the doors"),
    "conflict.declare": Command(ConflictDeclare, conflicts.conflict_declare, "Declare a possible conflict"),
    "conflict.rule": Command(ConflictRule, conflicts.conflict_rule, "Rule on a conflict or exemption"),
}


def _problems(errors: Any, path: str = "") -> str:
    """DRF's nested error tree as one line: `order.0.person: ...; text: ...`."""
    if isinstance(errors, dict):
        return "; ".join(_problems(v, f"{path}.{k}" if path else str(k)) for k, v in errors.items())
    if isinstance(errors, list) and errors and all(isinstance(e, (dict, list)) for e in errors):
        return "; ".join(_problems(v, f"{path}.{i}") for i, v in enumerate(errors) if v)
    messages = " ".join(str(m) for m in errors) if isinstance(errors, list) else str(errors)
    return f"{path}: {messages}" if path else messages


def validate(schema: type[serializers.Serializer], payload: Any) -> dict[str, Any]:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput("payload must be a JSON object")
    ser = schema(data=payload)
    if not ser.is_valid():
        raise InvalidInput("invalid payload: %(value)s", params={"value": _problems(ser.errors)})
    unknown = set(payload) - set(ser.fields)
    if unknown:
        raise InvalidInput("unknown fields: %(values)s", params={"values": ', '.join(sorted(unknown))})
    return dict(ser.validated_data)


def result_json(value: Any) -> Any:
    if value is None or isinstance(value, (int, str, bool, dict, list)):
        return value
    if isinstance(value, models.Model):
        return {"id": value.pk}
    return str(value)


@dataclass(frozen=True)
class Executed:
    result: Any  # the service's answer, as JSON (`result_json`)
    seq: int  # the log's last seq after the command: the command's own events are at or before it


def execute(*, name: str, user: Any, meeting_id: int, payload: Any) -> Executed:
    """Validate and run one command; raises DomainError subclasses for the caller to map.

    Returns the result with the seq the command wrote (or, when it wrote nothing, the seq its service
    saw under the meeting lock), so that no caller reads the meeting again to answer.
    """
    command = COMMANDS.get(name)
    if command is None:
        raise InvalidInput("unknown command %(name)s", params={"name": repr(name)}, code="unknown_type")
    args = validate(command.schema, payload)
    with log.watch_seq() as watch:
        result = result_json(command.service(user=user, meeting_id=meeting_id, **args))
    if watch.seq is None:  # every service locks the meeting; a new one that does not still answers
        from .selectors import meeting_seq

        return Executed(result, meeting_seq(meeting_id=meeting_id) or 0)
    return Executed(result, watch.seq)
