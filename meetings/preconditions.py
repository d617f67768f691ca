"""The preconditions of the meeting commands, over the live state: each raises the DomainError a
service answers with. The services call them before they write; `meetings/allowed.py` calls the same
functions to say which commands a person may send now, so a rule is written once.

Functions over the live state and the facts passed in; `check_closure_ground_allowed` and
`written_ballot_refusal` read the meeting's exemption profile and body.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from . import clock
from .exceptions import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    LegalRuleViolation,
    NotEligible,
    PermissionDenied,
    Text,
    Words,
)
from .exemptions import profile_coverage
from .legal import (
    MANDATORY_CLOSURE_GROUNDS,
    OFFICES_NEVER_WRITTEN,
    ROUND_KINDS,
    WRITTEN_BALLOT_MINISTRY,
    ClosureGround,
)
from .models import Meeting, MeetingForm
from .presence import eligible_voters, voting_persons
from .state import LIVE_STATES, MeetingState

State = dict[str, Any]

# A meeting a member may join (or the chair call the roll in): from the notice until it ends.
JOINABLE = LIVE_STATES | {MeetingState.NOTICE_PUBLISHED, MeetingState.ADJOURNED}


# A meeting's state in the words of an error message, in the active language (the request's or socket's).
_STATE_WORDS = {
    MeetingState.DRAFT: Words("a draft"),
    MeetingState.NOTICE_PUBLISHED: Words("announced, not yet opened"),
    MeetingState.IN_SESSION: Words("in session"),
    MeetingState.SUSPENDED: Words("suspended"),
    MeetingState.ADJOURNED: Words("adjourned"),
    MeetingState.ENDED: Words("ended"),
}


def _label(meeting_state: str) -> str:
    """Words: worded when the message is sent, in the reader's language."""
    try:
        return _STATE_WORDS[MeetingState(meeting_state)]
    except ValueError:
        return meeting_state


def in_session(meeting_state: str) -> None:
    if meeting_state != MeetingState.IN_SESSION:
        raise IllegalTransition("the meeting is not in session (it is %(state)s)",
                                params={"state": _label(meeting_state)}, code="not_in_session")


def joinable(meeting_state: str) -> None:
    if meeting_state not in JOINABLE:
        raise LegalRuleViolation("the meeting is %(state)s", params={"state": _label(meeting_state)},
                                 code="not_joinable")


def chair(*, chair_id: int | None, person_id: int) -> None:
    if chair_id != person_id:
        raise PermissionDenied("only the chair of the meeting may do this")


def chair_or_clerk(*, chair_id: int | None, person_id: int, clerk: bool) -> None:
    if not clerk:
        chair(chair_id=chair_id, person_id=person_id)


def no_open_vote(state: State, message: str = gettext_noop("close the vote in progress first")) -> None:
    if state.get("open_vote"):
        raise LegalRuleViolation(message, code="vote_open")


def item_is_open(state: State, message: str = gettext_noop("no agenda item is open"),
                 error: type[DomainError] = IllegalTransition) -> str:
    """The current item's id; refused (`no_item_open`) when none is open."""
    item_id = state.get("current_item")
    if not item_id:
        raise error(message, code="no_item_open")
    return str(item_id)


def no_item_open(state: State) -> None:
    if state.get("current_item"):
        raise LegalRuleViolation("close the current item before opening another", code="item_already_open")


def present(state: State, pid: str) -> None:
    att = state.get("attendance", {}).get(pid)
    if not att or not att["present"]:
        raise NotEligible("join the meeting first", code="not_present")


def voting_person(state: State, pid: str, message: str) -> None:
    if pid not in voting_persons(state):
        raise NotEligible(message, code="not_a_voting_member")


def present_member(state: State, pid: str) -> None:
    """Present, and a member taking part (not a clerk, not an unsummoned deputy)."""
    present(state, pid)
    voting_person(state, pid, gettext_noop("only members taking part in the meeting may ask for the floor"))


def not_recused(state: State, item_id: str, pid: str, message: str) -> None:
    if pid in state["items"].get(item_id, {}).get("recused", {}):
        raise NotEligible(message, code="recused")


def floor_held(state: State) -> dict[str, Any]:
    floor: dict[str, Any] | None = state.get("floor")
    if not floor:
        raise LegalRuleViolation("nobody has the floor", code="no_floor")
    return floor


def vote_is_open(state: State, vote: int | str, *, closed_message: str) -> dict[str, Any]:
    """The vote numbered `vote`, refused unless it exists and is open."""
    from .exceptions import NotFound

    v: dict[str, Any] | None = state["votes"].get(str(vote))
    if v is None:
        raise NotFound("vote %(vote)s does not exist", params={"vote": vote})
    if v["state"] != "open":
        raise IllegalTransition(closed_message, code="vote_closed")
    return v


def closure_motion(state: State, message: str = gettext_noop("there is no motion to close")) -> dict[str, Any]:
    motion: dict[str, Any] | None = state.get("closure_motion")
    if not motion:
        raise LegalRuleViolation(message, code="no_closure_motion")
    return motion


def no_closure_motion(state: State) -> None:
    if state.get("closure_motion"):
        raise LegalRuleViolation("a motion to close is already pending", code="motion_pending")


# The checks of single commands, called by their services and by allowed.py.


def mandatory_closure_remote_problem(meeting: Any) -> str | None:
    """Why the meeting's exemption profile does not let it handle a case that must be closed under
    § 11-5 (2) remotely now (None when it does): the one place both the item and the meeting's form ask."""
    return profile_coverage(meeting.exemption_profile, meeting, allows="closed_11_5_2_remote", at=clock.now())


def check_closure_ground_allowed(*, meeting: Any, ground: str) -> None:
    """§ 11-7 (3): an item that must be closed under § 11-5 (2) cannot be handled in a remote meeting,
    unless an exemption profile allows it (as the 2020-2022 temporary rules did) and covers both the
    meeting's date and now, the moment it is used (adding or opening the item, moving to close)."""
    if ground and ground not in ClosureGround.values:
        raise InvalidInput("unknown closure ground %(ground)s; use one of %(values)s",
            params={"ground": repr(ground), "values": ', '.join(ClosureGround.values)})
    if ground in MANDATORY_CLOSURE_GROUNDS and meeting.form == MeetingForm.REMOTE:
        problem = mandatory_closure_remote_problem(meeting)
        if problem:
            raise LegalRuleViolation(
                "a case that must be closed under § 11-5 (2) cannot be handled in a remote meeting "
                "(kommuneloven § 11-7 (3)); move it to a physical meeting (%(problem)s)", params={"problem": problem},
                code="mandatory_closure_remote")


def check_floor_request(state: dict[str, Any], pid: str, kind: str) -> None:
    """Whether `pid` may ask for the floor (`kind`) now; the reply's target is checked apart."""
    in_session(state["meeting"]["state"])
    item = item_is_open(state, gettext_noop("no item is open; use a question to the chair (§ 11-2 (4))"),
                        LegalRuleViolation)
    present_member(state, pid)
    not_recused(state, item, pid, gettext_noop("you have stepped down from this item (inhabil/fritatt)"))
    if any(s["person"] == pid and s["kind"] == kind for s in state["speakers"]):
        raise LegalRuleViolation("you are already on the speakers list", code="already_requested")


def written_ballot_refusal(meeting: Meeting, *, kind: str, office: str = "") -> Text | None:
    """Why a written ballot cannot be held for this vote, or None when it can (legal.py says why)."""
    if kind not in ROUND_KINDS:
        return Text("a written ballot is held only in an election or an appointment (kommuneloven § 8-1 (2) "
                    "and the body's rules of procedure, § 11-12)")
    if office in OFFICES_NEVER_WRITTEN:
        return Text("the election of %(office)s cannot be held in writing (%(ministry)s; kommuneloven 2018 has "
                    "no rule on written ballots)", {"office": OFFICES_NEVER_WRITTEN[office],
                                                    "ministry": WRITTEN_BALLOT_MINISTRY})
    if not meeting.body.written_ballot_basis:
        return Text("kommuneloven 2018 has no rule on written ballots (the 1992 act's § 35 nr. 5 was not carried "
                    "over, %(ministry)s), and the rules of procedure of %(body)s (§ 11-12) do not provide for one",
                    {"ministry": WRITTEN_BALLOT_MINISTRY, "body": meeting.body.name})
    return None


def check_proposal_submit(state: State, pid: str) -> None:
    in_session(state["meeting"]["state"])
    item = item_is_open(state)
    voting_person(state, pid, gettext_noop("only members taking part may put forward proposals"))
    not_recused(state, item, pid, gettext_noop("you have stepped down from this item"))


def check_vote_demand_written(state: State, pid: str, *, refusal: str | None) -> None:
    """`refusal`: why the body's rules of procedure hold no written ballot, None when they do."""
    in_session(state["meeting"]["state"])
    item_is_open(state)
    voting_person(state, pid, gettext_noop("only members taking part may demand a written ballot"))
    if refusal is not None:
        raise LegalRuleViolation(refusal, code="written_ballot_not_allowed")


def check_vote_cast(state: State, pid: str, vote: int | str) -> dict[str, Any]:
    """The open vote `vote`, if `pid` may cast a ballot in it now."""
    v = vote_is_open(state, vote, closed_message=gettext_noop("the vote is closed"))
    if pid in v["ballots"]:
        raise LegalRuleViolation("you have already voted", code="already_voted")
    if pid not in v["eligible"] or pid not in eligible_voters(state, v["item"]):
        raise NotEligible("you are not eligible in this vote (not present when it opened, cannot see and hear, "
                          "or stepped down from the item)", code="not_eligible")
    return v


def check_proposal_withdrawable(state: State, p: dict[str, Any]) -> None:
    if p["withdrawn"]:
        raise IllegalTransition("the proposal is already withdrawn", code="already_withdrawn")
    if state.get("open_vote") and p["id"] in state["votes"][state["open_vote"]]["proposals"]:
        raise LegalRuleViolation("a proposal cannot be withdrawn while it is being voted on", code="vote_open")
