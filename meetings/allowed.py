"""Which commands (`meetings/commands.py`) a person may send now: the state the member socket sends
carries them as `allowed`, so that a page enables exactly what the server would accept and keeps no
rule of its own.

Each command's check asks the same functions its service asks before it writes: the transition
tables of `state.py`, the preconditions of `preconditions.py` and the services' own `check_*`
functions. A command is allowed when its check raises no DomainError, that is when some payload
would be accepted (`item.open` while an item may be opened, `floor.grant` while someone present may
be given the floor). What only a payload decides (which item, which choice) is refused by the service
as before; a command that would change nothing but is accepted (joining again) counts as allowed.

`for_participants` works out the lists for everyone who takes part, once per event, where the event
is written (`services/log.py`); no socket computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from . import preconditions
from .exceptions import DomainError, LegalRuleViolation, NotEligible, PermissionDenied
from .legal import ROUND_KINDS, RuleSet, VoteKind
from .models import AgendaItem, Meeting, MeetingForm, Membership, Role
from .preconditions import (
    check_closure_ground_allowed,
    check_floor_request,
    check_proposal_submit,
    check_proposal_withdrawable,
    check_vote_cast,
    check_vote_demand_written,
    written_ballot_refusal,
)
from .presence import eligible_voters
from .services.access import chair_id
from .services.common import meeting_rules
from .state import ItemState, doors_state_of, next_doors_state, next_item_state, next_meeting_state

State = dict[str, Any]


@dataclass(frozen=True)
class Actor:
    id: int
    role: str  # the person's role in the body (models.Role)
    clerk: bool

    @property
    def pid(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class Facts:
    """What the checks need beyond the live state: the meeting's row, its items and its rule set."""

    meeting_state: str
    chair_id: int | None
    form: str
    rules: RuleSet
    written_ballot_refusal: str | None  # why the body holds no written ballot; None when it may
    openable_items: bool  # an item that may be opened now (the item table; § 11-7 (3))
    pending_items: bool  # an item never opened, which may be deferred
    current_recommendation: bool  # the current item has a recommendation to vote on
    free_deputy: bool  # a deputy of the body not yet summoned (read only while one could be summoned)


def _chair(s: State, f: Facts, a: Actor) -> None:
    preconditions.chair(chair_id=f.chair_id, person_id=a.id)


def _chair_or_clerk(s: State, f: Facts, a: Actor) -> None:
    preconditions.chair_or_clerk(chair_id=f.chair_id, person_id=a.id, clerk=a.clerk)


def _participant(s: State, f: Facts, a: Actor) -> None:
    """services/attendance.py `participant_role`: a deputy takes part only when summoned."""
    if a.role == Role.DEPUTY and not any(x.get("deputy") == a.pid for x in s.get("absent", {}).values()):
        raise PermissionDenied("deputies take part only when summoned for an absent member", code="not_summoned")


def _meeting_transition(event: str) -> Callable[[State, Facts, Actor], None]:
    def check(s: State, f: Facts, a: Actor) -> None:
        _chair(s, f, a)
        if event == "end":
            preconditions.no_open_vote(s)
        next_meeting_state(f.meeting_state, event)

    return check


def _set_mode(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)  # `normal` needs no exemption profile


def _join(s: State, f: Facts, a: Actor) -> None:
    _participant(s, f, a)
    preconditions.joinable(f.meeting_state)
    if f.form != MeetingForm.REMOTE and a.role != Role.CLERK:
        raise LegalRuleViolation("this is a physical meeting", code="physical_meeting")


def _roll_call(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.joinable(f.meeting_state)


def _in_room(s: State, f: Facts, a: Actor) -> None:
    _chair_or_clerk(s, f, a)
    if not any(att["present"] for att in s["attendance"].values()):
        raise LegalRuleViolation("nobody is registered as present", code="not_present")


def _summon(s: State, f: Facts, a: Actor) -> None:
    _chair_or_clerk(s, f, a)
    if not any(not x.get("deputy") for x in s.get("absent", {}).values()):
        raise LegalRuleViolation("no member registered absent is without a deputy", code="member_not_absent")
    if not f.free_deputy:  # any free deputy may be named (`deputy_id`), whatever the party
        raise LegalRuleViolation("no free deputy left", code="no_deputy")


def _item_open(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)
    preconditions.no_item_open(s)
    if not f.openable_items:
        raise LegalRuleViolation("no item on the agenda may be opened", code="no_item_to_open")


def _item_close(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    if not s.get("current_item") and not f.pending_items:  # an item never opened may be deferred
        preconditions.item_is_open(s)
    preconditions.no_open_vote(s)


def _add_late(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)


def _floor_request(s: State, f: Facts, a: Actor) -> None:
    try:
        check_floor_request(s, a.pid, "speech")
    except DomainError:
        check_floor_request(s, a.pid, "reply")


def _floor_withdraw(s: State, f: Facts, a: Actor) -> None:
    if any(e["person"] == a.pid for e in s["speakers"]):
        return
    _chair(s, f, a)
    if not s["speakers"]:
        raise LegalRuleViolation("the speakers list is empty", code="not_on_list")


def _floor_grant(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)
    if not any(att["present"] for att in s["attendance"].values()):
        raise NotEligible("the floor can only be given to someone present", code="not_present")


def _floor_end(s: State, f: Facts, a: Actor) -> None:
    floor = preconditions.floor_held(s)
    if floor["person"] != a.pid:
        _chair(s, f, a)


def _question(s: State, f: Facts, a: Actor) -> None:
    preconditions.in_session(f.meeting_state)
    preconditions.present_member(s, a.pid)


def _proposal_withdraw(s: State, f: Facts, a: Actor) -> None:
    chair = f.chair_id == a.id
    for p in s["proposals"].values():
        if p["by"] != a.pid and not chair:
            continue
        try:
            check_proposal_withdrawable(s, p)
            return
        except DomainError:
            continue
    raise LegalRuleViolation("no proposal may be withdrawn", code="already_withdrawn")


def _vote_open(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)
    preconditions.no_open_vote(s, gettext_noop("another vote is in progress"))
    motion = s.get("closure_motion")
    if motion and f.rules.allows_vote(VoteKind.CLOSURE):
        item_id = motion.get("item") or s.get("current_item")
    else:
        item_id = preconditions.item_is_open(s, gettext_noop("open an agenda item before voting"), LegalRuleViolation)
        on_item = any(p["item"] == item_id and not p["withdrawn"] for p in s["proposals"].values())
        rounds = any(f.rules.allows_vote(k) for k in ROUND_KINDS)
        if not (on_item or rounds or f.current_recommendation):
            raise LegalRuleViolation("nothing to vote on: no proposal and no recommendation", code="invalid_input")
    if not eligible_voters(s, item_id):
        raise LegalRuleViolation("nobody present is eligible to vote", code="no_eligible_voters")


def _vote_cast(s: State, f: Facts, a: Actor) -> None:
    check_vote_cast(s, a.pid, s.get("open_vote") or 0)


def _vote_close(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.vote_is_open(s, s.get("open_vote") or 0, closed_message=gettext_noop("the vote is already closed"))


def _demand_written(s: State, f: Facts, a: Actor) -> None:
    check_vote_demand_written(s, a.pid, refusal=f.written_ballot_refusal)


def _doors(event: str) -> Callable[[State, Facts, Actor], None]:
    def check(s: State, f: Facts, a: Actor) -> None:
        _chair(s, f, a)
        next_doors_state(doors_state_of(s["doors"]), event)
        if event == "motion":
            preconditions.in_session(f.meeting_state)
            preconditions.no_closure_motion(s)
        elif event == "debate_closed":
            preconditions.closure_motion(s)
            preconditions.no_open_vote(s)
        else:
            preconditions.no_open_vote(s)

    return check


def _conflict_declare(s: State, f: Facts, a: Actor) -> None:
    preconditions.in_session(f.meeting_state)
    preconditions.present(s, a.pid)


def _conflict_rule(s: State, f: Facts, a: Actor) -> None:
    _chair(s, f, a)
    preconditions.in_session(f.meeting_state)
    if not s["attendance"]:
        raise LegalRuleViolation("nobody takes part in the meeting", code="invalid_input")


def _anyone(s: State, f: Facts, a: Actor) -> None:
    """Accepted from anyone (leaving, receiving audio only): a no-op when there is nothing to change."""


CHECKS: dict[str, Callable[[State, Facts, Actor], None]] = {
    "meeting.open": _meeting_transition("open"),
    "meeting.suspend": _meeting_transition("suspend"),
    "meeting.resume": _meeting_transition("resume"),
    "meeting.adjourn": _meeting_transition("adjourn"),
    "meeting.end": _meeting_transition("end"),
    "meeting.set_chair": _chair_or_clerk,
    "meeting.set_mode": _set_mode,
    "member.join": _join,
    "member.leave": _anyone,
    "member.audio_only": _anyone,
    "roll_call": _roll_call,
    "member.in_room": _in_room,
    "absence.register": _chair_or_clerk,
    "deputy.summon": _summon,
    "item.open": _item_open,
    "item.close": _item_close,
    "item.add_late": _add_late,
    "floor.request": _floor_request,
    "floor.withdraw": _floor_withdraw,
    "speakers.reorder": _chair,
    "floor.grant": _floor_grant,
    "floor.end": _floor_end,
    "question.ask": _question,
    "proposal.submit": lambda s, f, a: check_proposal_submit(s, a.pid),
    "proposal.withdraw": _proposal_withdraw,
    "vote.open": _vote_open,
    "vote.cast": _vote_cast,
    "vote.demand_written": _demand_written,
    "vote.close": _vote_close,
    "doors.motion": _doors("motion"),
    "doors.close_debate": _doors("debate_closed"),
    "doors.open": _doors("opened"),
    "conflict.declare": _conflict_declare,
    "conflict.rule": _conflict_rule,
}


def allowed_commands(state: State, facts: Facts, actor: Actor) -> list[str]:
    """The commands `actor` may send now, in the command table's order."""
    out = []
    for name, check in CHECKS.items():
        try:
            check(state, facts, actor)
        except DomainError:
            continue
        out.append(name)
    return out


def _item_may_open(meeting: Meeting, item: AgendaItem) -> bool:
    try:
        next_item_state(item.state, "open")
        check_closure_ground_allowed(meeting=meeting, ground=item.planned_closure_ground)
    except DomainError:
        return False
    return True


def facts_for(meeting: Meeting, state: State) -> Facts:
    """The facts of `meeting` (its body selected with it) as the checks need them; reads the items
    only when an item could be opened or deferred now."""
    openable = pending = recommendation = False
    current = state.get("current_item")
    if current:
        recommendation = bool(AgendaItem.objects.filter(id=int(current)).exclude(recommendation="").exists())
    elif not state.get("open_vote"):
        items = list(meeting.items.filter(state__in=[ItemState.PENDING, ItemState.DEFERRED]))
        openable = any(_item_may_open(meeting, i) for i in items)
        pending = any(i.state == ItemState.PENDING for i in items)
    free_deputy = False
    if any(not x.get("deputy") for x in state.get("absent", {}).values()):
        taken = {int(x["deputy"]) for x in state["absent"].values() if x.get("deputy")}
        free_deputy = Membership.objects.filter(body_id=meeting.body_id, role=Role.DEPUTY) \
            .exclude(person_id__in=taken).exists()
    return Facts(
        meeting_state=meeting.state, chair_id=chair_id(meeting), form=meeting.form, rules=meeting_rules(meeting),
        written_ballot_refusal=None if meeting.body.written_ballot_basis
        else written_ballot_refusal(meeting, kind=VoteKind.ELECTION),
        openable_items=openable, pending_items=pending, current_recommendation=recommendation,
        free_deputy=free_deputy)


def actors_of(meeting: Meeting) -> list[Actor]:
    """Everyone of the body, with the role the services check (`access.is_clerk` for the clerk)."""
    rows = Membership.objects.filter(body_id=meeting.body_id).values_list("person_id", "role")
    return [Actor(id=pid, role=role, clerk=role == Role.CLERK) for pid, role in rows]


def for_participants(meeting: Meeting, state: State) -> dict[str, list[str]]:
    """Person id -> the commands that person may send now, for everyone of the meeting's body."""
    facts = facts_for(meeting, state)
    return {a.pid: allowed_commands(state, facts, a) for a in actors_of(meeting)}


def for_person(meeting: Meeting, state: State, person_id: int) -> list[str]:
    row = Membership.objects.filter(body_id=meeting.body_id, person_id=person_id).values_list("role", flat=True)
    role = row.first()
    if role is None:
        return []
    return allowed_commands(state, facts_for(meeting, state), Actor(id=person_id, role=role,
                                                                     clerk=role == Role.CLERK))

