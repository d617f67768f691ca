"""Proposals, votes and their results: § 8-1 (duty to vote, blank votes), § 11-9 (quorum, majority,
the chair's casting vote, the budget runoff), § 11-5 (5) (the vote on closing is held in open session).
Which of these bind the body comes from its rule set (§ 11-1, `legal.RuleSet`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from .. import preconditions, presence
from ..exceptions import InvalidInput, LegalRuleViolation, NotFound, Words
from ..legal import (
    AGAINST,
    APPOINTMENT_RULE,
    BLANK,
    BLANK_ALLOWED,
    CASTING_VOTE_KINDS,
    ELECTION_RULE,
    FOR,
    GENERAL_RULES,
    OFFICES_NEVER_WRITTEN,
    ROUND_KINDS,
    RuleSet,
    VoteKind,
    ground_words,
    in_languages,
    in_meeting_language,
    quorum_threshold,
)
from ..models import Meeting, WrittenBallotTally
from ..preconditions import (
    check_proposal_submit,
    check_proposal_withdrawable,
    check_vote_cast,
    check_vote_demand_written,
    written_ballot_refusal,
)
from ..presence import eligible_voters
from ..projection import State
from . import doors
from .access import person_for_user, require_chair
from .common import clean_text, current_item, meeting_rules, require_in_session
from .log import log_append, meeting_lock

# A vote's kind in the words of a refusal (catalogue msgids).
_KIND_WORDS: dict[str, str] = {VoteKind.ORDINARY: "a decision", VoteKind.ELECTION: "an election",
               VoteKind.APPOINTMENT: "an appointment", VoteKind.CLOSURE: "closing the meeting",
               VoteKind.BUDGET: "the budget"}


def proposal_submit(*, user: Any, meeting_id: int, text: str) -> int:
    """A member puts forward a proposal (forslag) on the current item. Returns its number."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        state = meeting.live_state
        check_proposal_submit(state, str(person.id))
        item = current_item(meeting)
        number = len(state["proposals"]) + 1
        log_append(meeting=meeting, type="proposal.submitted", actor=person, payload={
            "proposal": number, "item": item.id, "person": person.id, "name": person.name,
            "text": clean_text(text, field="text", max_length=10000)})
    return number




def proposal_withdraw(*, user: Any, meeting_id: int, proposal: int) -> None:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        state = meeting.live_state
        p = state["proposals"].get(str(proposal))
        if p is None:
            raise NotFound("proposal %(proposal)s does not exist", params={"proposal": proposal})
        if p["by"] != str(person.id):
            require_chair(meeting=meeting, person=person)
        check_proposal_withdrawable(state, p)
        log_append(meeting=meeting, type="proposal.withdrawn", actor=person, payload={"proposal": proposal})


def _options(kind: str, proposals: list[int], candidates: list[str]) -> list[str]:
    if len(set(proposals)) != len(proposals):
        raise InvalidInput("proposals must be distinct")
    if kind in (VoteKind.ELECTION, VoteKind.APPOINTMENT):
        if not candidates:
            raise InvalidInput("an election or appointment needs at least one candidate")
        names = [clean_text(c, field="candidate", max_length=200) for c in candidates]
        if len(set(names)) != len(names):
            raise InvalidInput("candidates must be distinct")
        return names + [BLANK]  # § 8-1 (2): blank votes only here
    if kind == VoteKind.BUDGET:
        if len(proposals) < 2:
            raise LegalRuleViolation(
                "a budget vote is between at least two proposals, each as a whole (kommuneloven § 11-9 (3)); "
                "with one proposal, hold an ordinary vote", code="budget_needs_alternatives")
        return [f"p{n}" for n in proposals]
    if kind == VoteKind.ORDINARY and len(proposals) >= 2:
        return [f"p{n}" for n in proposals]  # alternative vote between proposals, no abstention
    return [FOR, AGAINST]  # § 8-1 (2): no abstention in ordinary votes




def vote_demand_written(*, user: Any, meeting_id: int) -> None:
    """One member demands a written ballot in the coming election or appointment on the current item,
    where the body's rules of procedure provide for it; refused with the reason where they do not."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        state = meeting.live_state
        refusal = None if meeting.body.written_ballot_basis else written_ballot_refusal(meeting, kind=VoteKind.ELECTION)
        check_vote_demand_written(state, str(person.id), refusal=refusal)
        item = current_item(meeting)
        if state["items"][str(item.id)].get("written_demanded_by"):
            return
        log_append(meeting=meeting, type="vote.written_demanded", actor=person, payload={
            "item": item.id, "person": person.id, "name": person.name, "basis": meeting.body.written_ballot_basis})


def vote_open(*, user: Any, meeting_id: int, kind: str = VoteKind.ORDINARY, proposals: list[int] | None = None,
              candidates: list[str] | None = None, title: str = "", written: bool = False, office: str = "") -> int:
    """Open a vote. Ordinary: on one proposal (for/against), several (pick one), or none (the
    recommendation). Election/appointment: candidates and blank, in writing when asked or demanded
    (`written_ballot_refusal` says when it cannot be), `office` naming ordfører/varaordfører elections.
    Closure: on the pending motion. Budget (the council only, § 11-9 (3)): at least two proposals,
    each as a whole. The body's rule set decides which kinds it may hold."""
    proposals = [int(p) for p in (proposals or [])]
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        chair = person_for_user(user)
        require_chair(meeting=meeting, person=chair)
        require_in_session(meeting)
        state = meeting.live_state
        if kind not in VoteKind.values:
            raise InvalidInput("kind must be one of %(values)s", params={"values": ', '.join(VoteKind.values)})
        rules = meeting_rules(meeting)
        if not rules.allows_vote(kind):
            raise LegalRuleViolation("this body holds no vote of this kind (%(kind)s) under %(title)s",
                                     params={"kind": Words(_KIND_WORDS[kind]), "title": rules.title},
                                     code="vote_kind_not_allowed")
        preconditions.no_open_vote(state, gettext_noop("another vote is in progress"))
        item_id = state.get("current_item")
        decision_texts: dict[str, str] = {}
        if kind == VoteKind.CLOSURE:
            motion = preconditions.closure_motion(state, gettext_noop("there is no motion to close the meeting"))
            if state["doors"]["closed"]:
                doors.doors_open_for_closure_vote(meeting=meeting, actor=chair)
                state = meeting.live_state
            title = title or in_meeting_language(lambda: gettext("Closing the meeting under the %(ground)s")
                                                 % {"ground": ground_words(motion["ground"])})
            item_id = motion["item"] or item_id
        elif not item_id:
            raise LegalRuleViolation("open an agenda item before voting", code="no_item_open")
        for n in proposals:
            p = state["proposals"].get(str(n))
            if p is None or p["item"] != item_id:
                raise NotFound("proposal %(n)s is not a proposal on the current item", params={"n": n})
            if p["withdrawn"]:
                raise LegalRuleViolation("proposal %(n)s was withdrawn", params={"n": n}, code="proposal_withdrawn")
            decision_texts[f"p{n}"] = p["text"]
        if kind == VoteKind.ORDINARY and len(proposals) == 1:
            decision_texts[FOR] = state["proposals"][str(proposals[0])]["text"]
        elif kind == VoteKind.ORDINARY and not proposals:
            item = current_item(meeting)
            if not item.recommendation:
                raise InvalidInput("name the proposals to vote on (the item has no recommendation)")
            decision_texts[FOR] = item.recommendation
        elif kind == VoteKind.CLOSURE:
            decision_texts[FOR] = in_meeting_language(lambda: gettext("The meeting is closed under the %(ground)s")
                                                      % {"ground": ground_words(state["closure_motion"]["ground"])})
        options = _options(kind, proposals, candidates or [])
        if office and (kind != VoteKind.ELECTION or office not in OFFICES_NEVER_WRITTEN):
            raise InvalidInput("office is one of %(values)s, and only in an election",
                params={"values": ', '.join(OFFICES_NEVER_WRITTEN)})
        demanded = bool(item_id and state["items"].get(item_id, {}).get("written_demanded_by"))
        if written or (demanded and kind in ROUND_KINDS):
            refusal = written_ballot_refusal(meeting, kind=kind, office=office)
            if refusal:
                raise LegalRuleViolation(refusal, code="written_ballot_not_allowed")
            written = True
        eligible = eligible_voters(state, item_id)
        if not eligible:
            raise LegalRuleViolation("nobody present is eligible to vote", code="no_eligible_voters")
        number = len(state["votes"]) + 1
        payload: dict[str, Any] = {
            "vote": number, "item": int(item_id) if item_id else None, "kind": kind,
            "title": clean_text(title or "Votering", field="title", max_length=300),
            "proposals": proposals, "options": options, "eligible": eligible, "decision_texts": decision_texts,
            "quorum_required": rules.quorum_required(state["meeting"]["seats"]), "rules": rules.key}
        if kind in ROUND_KINDS:
            payload.update(round=1, written=written, office=office or None)
        log_append(meeting=meeting, type="vote.opened", actor=chair, payload=payload)
        if written:
            WrittenBallotTally.objects.create(meeting=meeting, vote=number, counts={o: 0 for o in options})
    return number


def vote_cast(*, user: Any, meeting_id: int, vote: int, choice: str) -> int:
    """Cast one ballot. Stored once per member per vote; returns how many have voted."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        state = meeting.live_state
        v = check_vote_cast(state, str(person.id), vote)
        if choice not in v["options"]:
            allowed = ", ".join(v["options"])
            if v["kind"] in BLANK_ALLOWED:
                raise InvalidInput("choice must be one of: %(allowed)s", params={"allowed": allowed})
            raise InvalidInput("choice must be one of: %(allowed)s (kommuneloven § 8-1 (2): no abstention, blank "
                               "only in elections)", params={"allowed": allowed})
        cast = len(v["ballots"]) + 1
        payload = {"vote": vote, "person": person.id, "name": person.name, "choice": choice, "cast": cast,
                   "eligible": len(v["eligible"])}
        if v.get("written"):
            # The log records that the member voted, never what: the choice goes only into the tally.
            del payload["choice"]
            tally = WrittenBallotTally.objects.select_for_update().get(meeting=meeting, vote=vote)
            tally.counts[choice] = tally.counts.get(choice, 0) + 1
            tally.save(update_fields=["counts"])
        log_append(meeting=meeting, type="vote.cast", actor=person, payload=payload)
    return cast


def _quorum(state: State, vote: dict[str, Any], rules: RuleSet) -> dict[str, Any]:
    """§ 11-9 (1): «minst halvparten av medlemmene [må] ha vært til stede under forhandlingene og avgitt
    stemme». A member counts who was present from the start of the item's debate until casting the
    ballot (the projection records it at `vote.cast`): a member who drops out *after* voting has been
    present during the debate and has voted, so the ballot stays in the tally and in the quorum alike.
    A closure vote's base is those eligible when it opened (the closure is its own question)."""
    seats = state["meeting"]["seats"]
    voted_throughout = len(vote.get("cast_throughout", []))
    if not rules.quorum_rule:
        # § 11-1: not binding on the body; its own regulations govern, so the platform checks nothing.
        text = in_languages(lambda: gettext("Local Government Act § 11-9 does not apply (%(rules)s)")
                            % {"rules": rules.title})
        return {"required": 0, "present_throughout_and_voted": voted_throughout, "met": True, "applies": False,
                "members": seats, "text": text}
    required = quorum_threshold(seats)
    met = voted_throughout >= required
    figures = {"voted": voted_throughout, "seats": seats, "required": required}
    text = in_languages(lambda: (gettext("%(voted)s of %(seats)s members present throughout the debate and voting; "
                                         "%(required)s required (Local Government Act § 11-9 (1)) – quorum met")
                                 if met else
                                 gettext("%(voted)s of %(seats)s members present throughout the debate and voting; "
                                         "%(required)s required (Local Government Act § 11-9 (1)) – no quorum"))
                        % figures)
    return {"required": required, "present_throughout_and_voted": voted_throughout, "met": met, "applies": True,
            "members": seats, "text": text}


def _explain(state: State, vote: dict[str, Any]) -> dict[str, Any]:
    """Who could vote at the close and who could not, and why; whose ballot counts in the tally but
    not in the quorum, and why. The minutes and the pages show this at the vote."""
    item_id = vote["item"]
    eligible = presence.eligible_voters(state, item_id)
    not_eligible = {}
    for pid in presence.seat_holders(state):
        ok, reason = presence.eligibility(state, item_id, pid)
        if not ok:
            entry: dict[str, Any] = {"name": presence.name_of(state, pid), "reason": reason}
            deputy = state["absent"].get(pid, {}).get("deputy")
            if deputy:
                entry["deputy"] = deputy
            if pid in vote["ballots"]:
                entry["voted"] = True  # cast while eligible, then dropped out: the ballot stands
            not_eligible[pid] = entry
    throughout = set(vote.get("cast_throughout", []))
    item = state["items"].get(item_id) if item_id else None
    outside_quorum = {}
    for pid in vote["ballots"]:
        if pid not in throughout:
            reason = "joined_late"
            if item and pid in item.get("not_present_at_start", {}):
                reason = item["not_present_at_start"][pid]["reason"] or "joined_late"
                reason = "joined_late" if reason in ("not_arrived", "connecting") else reason
            outside_quorum[pid] = {"name": presence.name_of(state, pid), "reason": reason}
    return {"eligible": eligible, "not_eligible": not_eligible,
            "not_voted": [p for p in eligible if p not in vote["ballots"]],
            "not_voted_names": {p: presence.name_of(state, p) for p in eligible if p not in vote["ballots"]},
            "not_in_quorum": outside_quorum}


def _first_round_of(state: State, vote: dict[str, Any]) -> dict[str, Any] | None:
    """The budget vote whose result sent it to this runoff, or None when `vote` is a first round."""
    votes: dict[str, dict[str, Any]] = state["votes"]
    for v in votes.values():
        if (v.get("result") or {}).get("budget", {}).get("runoff_vote") == vote["vote"]:
            return v
    return None


def _runoff_pair(counts: Counter[str], options: list[str]) -> tuple[list[str] | None, list[str]]:
    """§ 11-9 (3): the two proposals with the most votes. A tie for second place names no pair (the
    law does not say how to break it); the tied proposals are returned for the chair."""
    ranked = sorted(options, key=lambda o: -counts.get(o, 0))
    if len(ranked) > 2 and counts.get(ranked[1], 0) == counts.get(ranked[2], 0):
        cut = counts.get(ranked[1], 0)
        return None, [o for o in ranked if counts.get(o, 0) == cut]
    return ranked[:2], []


def draw_lot(seed: str, vote: int, tied: list[str]) -> str:
    """§ 7-8: a tie in the new vote of an election «avgjøres ved loddtrekning». The server draws it from
    the log's hash chain: `seed` is the digest of the last event before `vote.closed` (that event's
    `prev_digest`), so anyone holding the log can draw it again and get the same candidate, and nobody
    could know the seed before the last ballot was in."""
    candidates = sorted(tied)
    digest = hashlib.sha256(f"{seed}:{vote}:{json.dumps(candidates, ensure_ascii=False)}".encode()).hexdigest()
    return candidates[int(digest, 16) % len(candidates)]


def vote_result(state: State, vote: dict[str, Any], *, rules: RuleSet = GENERAL_RULES,
                written_counts: dict[str, int] | None = None, seed: str = "") -> dict[str, Any]:
    """Count a vote under § 11-9 as far as `rules` apply: quorum, majority of votes cast, the chair's
    casting vote, for a budget the runoff between the two proposals with the most votes, and for
    elections and appointments the rounds of § 7-8. `written_counts` are a written ballot's totals
    (its ballots hold no choices); `seed` draws the lot of a tied election."""
    if vote["kind"] in ROUND_KINDS:
        return _round_result(state, vote, rules=rules, written_counts=written_counts, seed=seed)
    ballots: dict[str, str] = vote["ballots"]
    counts = Counter(ballots.values())
    quorum = _quorum(state, vote, rules)
    chair = state["meeting"]["chair"]
    chair_choice = ballots.get(chair) if chair else None
    first_round = _first_round_of(state, vote) if vote["kind"] == VoteKind.BUDGET else None
    # § 11-9 (2): the chair decides a tie, except in elections; in a budget vote only in the runoff,
    # since a first round without a majority goes to the runoff (§ 11-9 (3)).
    casting_allowed = rules.casting_vote and (vote["kind"] in CASTING_VOTE_KINDS or first_round is not None)
    result: dict[str, Any] = {
        "counts": {o: counts.get(o, 0) for o in vote["options"]},
        "named": {p: {"name": state["attendance"].get(p, {}).get("name", ""), "choice": c}
                  for p, c in sorted(ballots.items(), key=lambda kv: int(kv[0]))},
        "quorum": quorum, "adopted": False, "winner": None, "tie": False, "casting_vote": False, "decision": None,
        "rules": rules.summary(), **_explain(state, vote),
    }
    if vote["options"] == [FOR, AGAINST]:
        yes, no = counts.get(FOR, 0), counts.get(AGAINST, 0)
        if yes == no:
            result["tie"] = True
            if chair_choice and casting_allowed:
                result["casting_vote"] = True
                yes, no = (1, 0) if chair_choice == FOR else (0, 1)
        result["winner"] = FOR if yes > no else (AGAINST if no > yes else None)
    else:
        counted = Counter({o: n for o, n in counts.items() if o != BLANK})
        total = sum(counted.values())
        ranking = counted.most_common()
        if ranking:
            top = ranking[0][1]
            tied = [o for o, n in ranking if n == top]
            if len(tied) > 1:
                result["tie"] = True
                if chair_choice in tied and casting_allowed:
                    result["casting_vote"] = True
                    result["winner"] = chair_choice
            elif top * 2 > total:
                result["winner"] = tied[0]
    if not quorum["met"]:
        result["winner"] = None  # § 11-9 (1): no valid decision without a quorum
    winner = result["winner"]
    result["adopted"] = winner is not None and winner != AGAINST
    result["decision"] = vote.get("decision_texts", {}).get(winner) if result["adopted"] else None
    if vote["kind"] == VoteKind.BUDGET:
        result["budget"] = _budget_rounds(vote, counts, result, first_round)
    return result


def _round_result(state: State, vote: dict[str, Any], *, rules: RuleSet, written_counts: dict[str, int] | None,
                  seed: str) -> dict[str, Any]:
    """An election (§ 7-8) or an appointment (§ 11-9 (2)), one round. Round 1: elected or appointed is
    who has more than half of the votes cast (blank ballots are not votes for anyone, legal.py); if
    nobody has, `new_round` asks for round 2 between the same candidates. Round 2: the most votes
    wins; a tie is drawn by lot in an election and decided by the chair's vote in an appointment."""
    written = bool(vote.get("written"))
    counts = Counter(written_counts or {}) if written else Counter(vote["ballots"].values())
    quorum = _quorum(state, vote, rules)
    candidates = [o for o in vote["options"] if o != BLANK]
    votes_cast = sum(counts.get(o, 0) for o in candidates)
    ranking = sorted(candidates, key=lambda o: (-counts.get(o, 0), candidates.index(o)))
    top = counts.get(ranking[0], 0) if ranking else 0
    tied = [o for o in ranking if counts.get(o, 0) == top] if top else []
    round_no = int(vote.get("round") or 1)
    election = vote["kind"] == VoteKind.ELECTION
    result: dict[str, Any] = {
        "counts": {o: counts.get(o, 0) for o in vote["options"]},
        # A written ballot shows only the totals (the log holds no choices to name).
        "named": {} if written else {
            p: {"name": presence.name_of(state, p), "choice": c}
            for p, c in sorted(vote["ballots"].items(), key=lambda kv: int(kv[0]))},
        "written": written, "round": round_no, "votes_cast": votes_cast, "blank": counts.get(BLANK, 0),
        "majority_needed": votes_cast // 2 + 1, "quorum": quorum, "adopted": False, "winner": None, "tie": False,
        "casting_vote": False, "lot": None, "new_round": False, "decision": None,
        "rule": ELECTION_RULE if election else APPOINTMENT_RULE, "rules": rules.summary(), **_explain(state, vote),
    }
    if not quorum["met"]:
        return result  # § 11-9 (1): no valid decision without a quorum, and no new round on it
    if round_no == 1:
        if top * 2 > votes_cast and len(tied) == 1:
            result["winner"] = tied[0]
        else:
            result["new_round"] = True  # «Hvis ingen får mer enn halvparten av stemmene, holdes en ny avstemning»
            result["tie"] = len(tied) > 1
    elif len(tied) == 1:
        result["winner"] = tied[0]  # «Den som får flest stemmer ved den nye avstemningen, blir valgt»
    elif tied:
        result["tie"] = True
        if election:
            drawn = draw_lot(seed, vote["vote"], tied)
            result["lot"] = {"seed": seed, "candidates": sorted(tied), "drawn": drawn,
                             "method": "sha256(seed:vote:candidates) mod n over the sorted candidates; seed = "
                                       "prev_digest of vote.closed (meetings/services/votes.py draw_lot)"}
            result["winner"] = drawn
        else:
            chair = state["meeting"]["chair"]
            chair_choice = None if written else vote["ballots"].get(chair or "")
            if rules.casting_vote and chair_choice in tied:
                result["winner"], result["casting_vote"] = chair_choice, True
            else:
                result["unresolved"] = ("the chair's vote decides a tied appointment (kommuneloven § 11-9 (2)), "
                                        "and the chair did not vote for one of the tied candidates"
                                        + (" (a written ballot names no choices)" if written else ""))
    winner = result["winner"]
    result["adopted"] = winner is not None
    if winner:
        result["decision"] = f"{'Valgt' if election else 'Ansatt'}: {winner}"
    return result


def _budget_rounds(vote: dict[str, Any], counts: Counter[str], result: dict[str, Any],
                   first_round: dict[str, Any] | None) -> dict[str, Any]:
    if first_round is not None:
        return {"round": 2, "first_round": {"vote": first_round["vote"], "counts": first_round["result"]["counts"]},
                "between": vote["options"]}
    rounds: dict[str, Any] = {"round": 1, "runoff_between": None, "runoff_vote": None, "tied_for_runoff": []}
    if result["winner"] is None and result["quorum"]["met"]:
        rounds["runoff_between"], rounds["tied_for_runoff"] = _runoff_pair(counts, vote["options"])
    return rounds


def _open_runoff(*, meeting: Meeting, chair: Any, rules: RuleSet, first: dict[str, Any], number: int) -> None:
    """§ 11-9 (3): no proposal had a majority, so the service itself puts the two with the most votes
    to a second vote; nothing else can happen on the item before it is held."""
    state = meeting.live_state
    between = first["result"]["budget"]["runoff_between"]
    log_append(meeting=meeting, type="vote.opened", actor=chair, payload={
        "vote": number, "item": int(first["item"]), "kind": VoteKind.BUDGET,
        "title": ("Ny votering mellom de to forslagene med flest stemmer (kommuneloven § 11-9 (3)): "
                  f"{first['title']}")[:300],
        "proposals": [int(o[1:]) for o in between], "options": between,
        "eligible": eligible_voters(state, first["item"]),
        "decision_texts": {o: first["decision_texts"][o] for o in between},
        "quorum_required": rules.quorum_required(state["meeting"]["seats"]), "rules": rules.key,
        "runoff_of": first["vote"]})


def _open_new_round(*, meeting: Meeting, chair: Any, rules: RuleSet, first: dict[str, Any], number: int) -> None:
    """§ 7-8: nobody had more than half of the votes cast, so the service holds the new vote at once,
    between the same candidates and in the same form (written or not)."""
    state = meeting.live_state
    law = ELECTION_RULE if first["kind"] == VoteKind.ELECTION else APPOINTMENT_RULE
    log_append(meeting=meeting, type="vote.opened", actor=chair, payload={
        "vote": number, "item": int(first["item"]) if first["item"] else None, "kind": first["kind"],
        "title": f"Ny avstemning ({law}): {first['title']}"[:300], "proposals": [], "options": first["options"],
        "eligible": eligible_voters(state, first["item"]), "decision_texts": {},
        "quorum_required": rules.quorum_required(state["meeting"]["seats"]), "rules": rules.key, "round": 2,
        "round_of": first["vote"], "written": bool(first.get("written")), "office": first.get("office")})
    if first.get("written"):
        WrittenBallotTally.objects.create(meeting=meeting, vote=number, counts={o: 0 for o in first["options"]})


def vote_close(*, user: Any, meeting_id: int, vote: int) -> dict[str, Any]:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        chair = person_for_user(user)
        require_chair(meeting=meeting, person=chair)
        state = meeting.live_state
        v = preconditions.vote_is_open(state, vote, closed_message=gettext_noop("the vote is already closed"))
        rules = meeting_rules(meeting)
        written_counts = None
        if v.get("written"):
            written_counts = WrittenBallotTally.objects.get(meeting=meeting, vote=vote).counts
        result = vote_result(state, v, rules=rules, written_counts=written_counts, seed=meeting.last_digest or "")
        runoff = result.get("budget", {}).get("runoff_between")
        if result.get("new_round"):
            result["new_round_vote"] = len(state["votes"]) + 1
        if runoff:
            result["budget"]["runoff_vote"] = len(state["votes"]) + 1
        log_append(meeting=meeting, type="vote.closed", actor=chair, payload={
            "vote": vote, "kind": v["kind"], "item": int(v["item"]) if v["item"] else None, "title": v["title"],
            "result": result})
        if runoff:
            _open_runoff(meeting=meeting, chair=chair, rules=rules, first=meeting.live_state["votes"][str(vote)],
                         number=result["budget"]["runoff_vote"])
        if result.get("new_round"):
            _open_new_round(meeting=meeting, chair=chair, rules=rules, first=meeting.live_state["votes"][str(vote)],
                            number=result["new_round_vote"])
        if v["kind"] == VoteKind.CLOSURE:
            doors.doors_after_closure_vote(meeting=meeting, actor=chair, vote=vote, adopted=result["adopted"])
    return result
