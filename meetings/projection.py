"""The meeting's live state, derived from its log by a pure reducer.

`apply(state, event)` is the only place that knows what an event *means* for the state; services
decide whether an event may be written (the rules), this module only folds it in. Replaying the whole
log with `replay()` must give the snapshot stored on the meeting; a test checks that.
Keys of person/item/vote maps are strings because the state round-trips through JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from . import presence
from .legal import rules_for
from .presence import eligible_voters
from .quorum import quorum_now

State = dict[str, Any]
Event = dict[str, Any]  # {"seq", "type", "at", "actor", "payload"} and, in a replay, "public"


def initial_state() -> State:
    return {
        "meeting": {"state": "draft", "mode": "normal", "chair": None, "seats": 0, "form": "remote"},
        "roster": {},  # person id -> {"name", "party", "role", "deputy_rank"} as of meeting.opened
        # person id -> {"present", "role", "substitute_for", "media", "audio_only", "in_room", "name"}; "media" holds
        # what the media server measured ({"sends_audio", "sends_video", "receives", "measured"})
        "attendance": {},
        "absent": {},  # person id -> {"reason", "deputy"}
        # person id -> {"sees_and_hears", "reason"}: the legal fact, restated by presence.py after every
        # event that can change it; pages show it and never compute it
        "presence": {},
        "doors": {"closed": False, "ground": None, "item": None, "since": None, "debate_only": False},
        "closure_motion": None,
        "current_item": None,
        "items": {},
        "speakers": [],
        "floor": None,
        "proposals": {},
        "votes": {},
        "open_vote": None,
        "questions": [],
        "stream": {"up": True},
        # § 11-9 (1) now: the eligible voters on the current item against the rule set's number
        # (quorum.py), restated after every event that can change either
        "quorum": {"present": 0, "required": 0, "met": True},
        # § 11-4: whether the public minutes are out (minutes/services.py writes minutes.published once
        # the meeting has ended), so the pages can say so and link them without asking elsewhere
        "minutes": {"published": False, "version": 0},
        "last_seq": 0,
        "last_public_seq": 0,
    }


def _person(payload: dict[str, Any], key: str = "person") -> str:
    return str(payload[key])


def _drop_from_present_throughout(state: State, pid: str, reason: str | None, event: Event) -> None:
    """§ 11-9 (1): a member who stops being present (for any reason) is no longer present throughout
    the current item; the item records when and why, so the vote and the minutes can say it."""
    item_id = state["current_item"]
    if not item_id:
        return
    item = state["items"][item_id]
    if pid in item["present_throughout"]:
        item["present_throughout"].remove(pid)
        item.setdefault("dropped_out", {})[pid] = {"reason": reason, "at": event["at"], "seq": event["seq"],
                                                   "name": presence.name_of(state, pid)}


def _refresh_presence(state: State, event: Event) -> None:
    """Restate every person's presence after an event that can change it (presence.py decides)."""
    known = set(state["attendance"]) | set(presence.seat_holders(state))
    state["presence"] = {pid: presence.summary(state, pid) for pid in sorted(known, key=int)}
    for pid, fact in state["presence"].items():
        if not fact["sees_and_hears"]:
            _drop_from_present_throughout(state, pid, fact["reason"], event)


def apply(state: State, event: Event) -> State:
    """Return a new state with `event` folded in; the given state is not changed."""
    return apply_in_place(copy.deepcopy(state), event)


def apply_in_place(state: State, event: Event) -> State:
    handler = _HANDLERS.get(event["type"])
    if handler is not None:
        handler(state, event["payload"], event)
    if event["type"] in PRESENCE_EVENTS:
        _refresh_presence(state, event)
    if event["type"] in QUORUM_EVENTS:
        state["quorum"] = quorum_now(state)
    state["last_seq"] = event["seq"]
    return state


def replay(events: Iterable[Event]) -> State:
    state = initial_state()
    for event in events:
        apply_in_place(state, event)
        # Whether an event is public is decided when it is written (visibility.py) and stored with it;
        # log_append keeps last_public_seq the same way, so the replay matches the snapshot.
        if event.get("public"):
            state["last_public_seq"] = event["seq"]
    return state


def _meeting_state(new: str) -> Any:
    def handler(state: State, payload: dict[str, Any], event: Event) -> None:
        state["meeting"]["state"] = new

    return handler


def _meeting_opened(state: State, p: dict[str, Any], e: Event) -> None:
    # The rule set's number as the service logged it; a log written before it did names the body type.
    required = p.get("quorum_required")
    if required is None:
        required = rules_for(p.get("body_type", "")).quorum_required(p["seats"])
    state["meeting"].update(state="in_session", chair=str(p["chair"]) if p.get("chair") else None,
                            seats=p["seats"], form=p["form"], quorum_required=required)
    state["roster"] = {str(k): v for k, v in p["roster"].items()}


def _chair_changed(state: State, p: dict[str, Any], e: Event) -> None:
    state["meeting"]["chair"] = str(p["person"])


def _joined(state: State, p: dict[str, Any], e: Event) -> None:
    pid = _person(p)
    previous = state["attendance"].get(pid, {})
    state["attendance"][pid] = {
        "present": True,
        "name": p["name"],
        "role": p["role"],
        "substitute_for": str(p["substitute_for"]) if p.get("substitute_for") else previous.get("substitute_for"),
        "remote": p.get("remote", True),
        # Nothing is measured yet: in a remote meeting the member is "connecting" until the media
        # server reports (presence.py); a reconnect is measured afresh.
        "media": _unmeasured(),
        "audio_only": False,
        "in_room": bool(p.get("in_room")),
        "since": e["at"],
    }
    state["absent"].pop(pid, None)


def _unmeasured() -> dict[str, bool]:
    return {"sends_audio": False, "sends_video": False, "receives": False, "measured": False}


def _left(state: State, p: dict[str, Any], e: Event) -> None:
    pid = _person(p)
    if pid in state["attendance"]:
        state["attendance"][pid]["present"] = False
    state["speakers"] = [s for s in state["speakers"] if s["person"] != pid]
    if state["floor"] and state["floor"]["person"] == pid:
        state["floor"] = None


def _absent(state: State, p: dict[str, Any], e: Event) -> None:
    state["absent"][_person(p)] = {"reason": p.get("reason", ""), "deputy": None}


def _deputy_summoned(state: State, p: dict[str, Any], e: Event) -> None:
    deputy, member = _person(p, "deputy"), _person(p, "for_member")
    state["absent"].setdefault(member, {"reason": "", "deputy": None})["deputy"] = deputy
    att = state["attendance"].get(deputy)
    if att:
        att["substitute_for"] = member
    else:
        state["attendance"][deputy] = {
            "present": False, "name": p["name"], "role": "deputy", "substitute_for": member, "remote": True,
            "media": _unmeasured(), "audio_only": False, "in_room": False, "since": None,
        }


def _media(state: State, p: dict[str, Any], e: Event) -> None:
    pid = _person(p)
    att = state["attendance"].get(pid)
    if not att:
        return
    for key in ("sends_audio", "sends_video", "receives"):
        if key in p:
            att["media"][key] = bool(p[key])
            att["media"]["measured"] = True
    if "audio_only" in p:
        att["audio_only"] = bool(p["audio_only"])


def _in_room(state: State, p: dict[str, Any], e: Event) -> None:
    att = state["attendance"].get(_person(p))
    if att:
        att["in_room"] = bool(p["in_room"])


def _item_opened(state: State, p: dict[str, Any], e: Event) -> None:
    item_id = str(p["item"])
    state["current_item"] = item_id
    item = state["items"].setdefault(item_id, {"recused": {}, "decision": None})
    item.update(
        state="open", case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"],
        planned_closure_ground=p.get("planned_closure_ground") or None,
    )
    # § 11-9 (1): the quorum base is those present from the start of the debate; who was not, and why.
    item["present_throughout"] = eligible_voters(state, item_id)
    item["dropped_out"] = {}
    item["not_present_at_start"] = {
        pid: {"reason": presence.eligibility(state, item_id, pid)[1], "name": presence.name_of(state, pid)}
        for pid in presence.seat_holders(state) if pid not in item["present_throughout"]}
    state["speakers"] = []
    state["floor"] = None


def _item_closed(state: State, p: dict[str, Any], e: Event) -> None:
    item_id = str(p["item"])
    # An item deferred before it was ever opened is not in the live state yet.
    state["items"].setdefault(item_id, {"recused": {}, "decision": None, "present_throughout": [],
                                        "case_number": p.get("case_number"), "title": p.get("title")})
    state["items"][item_id]["state"] = p.get("state", "handled")
    if p.get("decision") is not None:
        state["items"][item_id]["decision"] = p["decision"]
    if state["current_item"] == item_id:
        state["current_item"] = None
    state["speakers"] = []
    state["floor"] = None


def _item_added(state: State, p: dict[str, Any], e: Event) -> None:
    state["items"][str(p["item"])] = {"state": "pending", "recused": {}, "decision": None,
                                      "case_number": p["case_number"], "title": p["title"],
                                      "public_title": p.get("public_title") or p["title"],
                                      "present_throughout": [], "planned_closure_ground": None}


def _item_corrected(state: State, p: dict[str, Any], e: Event) -> None:
    # A correction of the notice before the meeting opens; the live state lists items only from then on.
    item = state["items"].get(str(p["item"]))
    if item is not None:
        item.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"])


def _item_postponed(state: State, p: dict[str, Any], e: Event) -> None:
    item = state["items"].get(str(p["item"]))
    if item is not None:
        item["state"] = "deferred"


def _floor_requested(state: State, p: dict[str, Any], e: Event) -> None:
    entry = {"person": _person(p), "name": p["name"], "kind": p["kind"],
             "reply_to": str(p["reply_to"]) if p.get("reply_to") else None}
    if entry["kind"] == "reply":
        # A reply (replikk) goes before ordinary speeches, after earlier replies.
        index = next((i for i, s in enumerate(state["speakers"]) if s["kind"] != "reply"), len(state["speakers"]))
        state["speakers"].insert(index, entry)
    else:
        state["speakers"].append(entry)


def _floor_withdrawn(state: State, p: dict[str, Any], e: Event) -> None:
    pid = _person(p)
    state["speakers"] = [s for s in state["speakers"]
                         if not (s["person"] == pid and s["kind"] == p.get("kind", s["kind"]))]


def _speakers_reordered(state: State, p: dict[str, Any], e: Event) -> None:
    by_key = {(s["person"], s["kind"]): s for s in state["speakers"]}
    state["speakers"] = [by_key[(str(o["person"]), o["kind"])] for o in p["order"]]


def _floor_granted(state: State, p: dict[str, Any], e: Event) -> None:
    pid = _person(p)
    kind = p.get("kind", "speech")
    for i, s in enumerate(state["speakers"]):
        if s["person"] == pid:
            kind = s["kind"]
            del state["speakers"][i]
            break
    state["floor"] = {"person": pid, "name": p["name"], "kind": kind, "since": e["at"], "limit": p["limit"]}


def _floor_ended(state: State, p: dict[str, Any], e: Event) -> None:
    state["floor"] = None


def _question(state: State, p: dict[str, Any], e: Event) -> None:
    state["questions"].append({"person": _person(p), "name": p["name"], "text": p["text"], "at": e["at"]})


def _proposal_submitted(state: State, p: dict[str, Any], e: Event) -> None:
    state["proposals"][str(p["proposal"])] = {
        "id": p["proposal"], "item": str(p["item"]), "by": _person(p), "by_name": p["name"], "text": p["text"],
        "withdrawn": False, "seq": e["seq"], "closed": state["doors"]["closed"],
    }


def _proposal_withdrawn(state: State, p: dict[str, Any], e: Event) -> None:
    state["proposals"][str(p["proposal"])]["withdrawn"] = True


def _vote_opened(state: State, p: dict[str, Any], e: Event) -> None:
    no = str(p["vote"])
    state["votes"][no] = {
        "vote": p["vote"], "item": str(p["item"]) if p.get("item") else None, "kind": p["kind"], "title": p["title"],
        "proposals": p.get("proposals", []), "options": p["options"], "eligible": p["eligible"], "state": "open",
        "ballots": {}, "result": None, "opened_at": e["at"], "decision_texts": p.get("decision_texts", {}),
        "closed": state["doors"]["closed"], "cast_throughout": [],
    }
    for key in ("round", "round_of", "written", "office"):
        if key in p:
            state["votes"][no][key] = p[key]
    state["open_vote"] = no


def _vote_cast(state: State, p: dict[str, Any], e: Event) -> None:
    vote = state["votes"][str(p["vote"])]
    pid = _person(p)
    # A written ballot's log entry holds no choice (services/votes.py keeps only the totals).
    vote["ballots"][pid] = p.get("choice", "written")
    # § 11-9 (1): whether the member was present from the start of the debate until this ballot; a
    # later drop-out does not undo it (services/votes.py `_quorum`).
    item = state["items"].get(vote["item"]) if vote["item"] else None
    base = vote["eligible"] if vote["kind"] == "closure" or not item else item.get("present_throughout", [])
    if pid in base:
        vote["cast_throughout"].append(pid)


def _written_demanded(state: State, p: dict[str, Any], e: Event) -> None:
    item = state["items"].get(str(p["item"]))
    if item is not None:
        item["written_demanded_by"] = _person(p)


def _vote_closed(state: State, p: dict[str, Any], e: Event) -> None:
    vote = state["votes"][str(p["vote"])]
    vote["state"] = "closed"
    vote["result"] = p["result"]
    state["open_vote"] = None
    if vote["item"] and p["result"].get("adopted") and p["result"].get("decision"):
        state["items"][vote["item"]]["decision"] = p["result"]["decision"]


def _doors(state: State, e: Event, *, ground: str | None, item: str | None) -> None:
    """The doors after a doors event, as the table in state.py says (services/doors.py checked the
    transition against it before writing). The table leads each event to one state, so a reader
    folding with gaps (the livestream gate, whose broadcasts may overtake each other) agrees too."""
    from .state import DOORS_EVENTS, DoorsState, doors_state_after

    new = doors_state_after(DOORS_EVENTS[e["type"]])
    state["doors"] = {"state": new, "closed": new != DoorsState.OPEN, "ground": ground, "item": item,
                      "since": e["at"], "debate_only": new == DoorsState.DEBATE_CLOSED}


def _doors_motion(state: State, p: dict[str, Any], e: Event) -> None:
    # The doors stay open (the table's only transition for a motion); the motion is pending.
    state["closure_motion"] = {"ground": p["ground"], "item": str(p["item"]) if p.get("item") else None,
                               "by": _person(p), "reason": p.get("reason", ""), "debate_closed": False}


def _doors_debate_closed(state: State, p: dict[str, Any], e: Event) -> None:
    _doors(state, e, ground=p["ground"], item=state["doors"]["item"])
    if state["closure_motion"]:
        state["closure_motion"]["debate_closed"] = True


def _doors_closed(state: State, p: dict[str, Any], e: Event) -> None:
    _doors(state, e, ground=p["ground"], item=str(p["item"]) if p.get("item") else None)
    state["closure_motion"] = None


def _doors_opened(state: State, p: dict[str, Any], e: Event) -> None:
    _doors(state, e, ground=None, item=None)


def _motion_rejected(state: State, p: dict[str, Any], e: Event) -> None:
    # The doors stay open (the table's only transition for a rejected motion); the motion falls.
    state["closure_motion"] = None


# The doors-only reducer: readers that follow only the doors (the livestream gate, the minutes)
# fold the log with these same handlers, so there is one implementation of what a doors event means.
DOORS_HANDLERS = {
    "doors.motion": _doors_motion,
    "doors.debate_closed": _doors_debate_closed,
    "doors.closed": _doors_closed,
    "doors.opened": _doors_opened,
    "doors.motion_rejected": _motion_rejected,
}


def doors_initial() -> State:
    """The part of the live state the doors reducer folds (`doors`, `closure_motion`), as at the start."""
    start = initial_state()
    return {"doors": start["doors"], "closure_motion": start["closure_motion"]}


def apply_doors(state: State, event: Event) -> bool:
    """Fold one event into `state` (a live state or `doors_initial()`) in place if it is a doors
    event; False (and nothing changed) for any other event. `event` is a log record (`type`,
    `payload`, `at`, `seq`)."""
    handler = DOORS_HANDLERS.get(event["type"])
    if handler is None:
        return False
    handler(state, event["payload"], event)
    return True


def _conflict_ruled(state: State, p: dict[str, Any], e: Event) -> None:
    item = state["items"].setdefault(str(p["item"]), {"recused": {}, "decision": None, "present_throughout": []})
    pid = _person(p)
    if p["recused"]:
        item["recused"][pid] = {"kind": p["kind"], "legal_basis": p["legal_basis"]}
        if str(p["item"]) == state["current_item"]:
            _drop_from_present_throughout(state, pid, "recused", e)
        elif pid in item.get("present_throughout", []):
            item["present_throughout"].remove(pid)
        state["speakers"] = [s for s in state["speakers"] if s["person"] != pid]
    else:
        item["recused"].pop(pid, None)


def _mode_changed(state: State, p: dict[str, Any], e: Event) -> None:
    state["meeting"]["mode"] = p["mode"]


def _minutes_published(state: State, p: dict[str, Any], e: Event) -> None:
    state["minutes"] = {"published": True, "version": int(p.get("version", 1))}


def _stream_state(state: State, p: dict[str, Any], e: Event) -> None:
    state["stream"] = {"up": bool(p["up"]), "reason": p.get("reason", "")}


_HANDLERS = {
    "notice.published": _meeting_state("notice_published"),
    "meeting.opened": _meeting_opened,
    "meeting.suspended": _meeting_state("suspended"),
    "meeting.adjourned": _meeting_state("adjourned"),
    "meeting.resumed": _meeting_state("in_session"),
    "meeting.ended": _meeting_state("ended"),
    "meeting.chair_changed": _chair_changed,
    "member.joined": _joined,
    "member.left": _left,
    "member.absent": _absent,
    "deputy.summoned": _deputy_summoned,
    "member.media": _media,
    "member.in_room": _in_room,
    "item.added": _item_added,
    "item.corrected": _item_corrected,
    "item.postponed": _item_postponed,
    "item.opened": _item_opened,
    "item.closed": _item_closed,
    "floor.requested": _floor_requested,
    "floor.withdrawn": _floor_withdrawn,
    "speakers.reordered": _speakers_reordered,
    "floor.granted": _floor_granted,
    "floor.ended": _floor_ended,
    "question.asked": _question,
    "proposal.submitted": _proposal_submitted,
    "proposal.withdrawn": _proposal_withdrawn,
    "vote.opened": _vote_opened,
    "vote.cast": _vote_cast,
    "vote.written_demanded": _written_demanded,
    "vote.closed": _vote_closed,
    "doors.motion": _doors_motion,
    "doors.debate_closed": _doors_debate_closed,
    "doors.motion_rejected": _motion_rejected,
    "doors.closed": _doors_closed,
    "doors.opened": _doors_opened,
    "conflict.ruled": _conflict_ruled,
    "mode.changed": _mode_changed,
    "stream.state": _stream_state,
    "minutes.published": _minutes_published,
}

# Events after which a person's presence may have changed (presence.py restates it).
PRESENCE_EVENTS = frozenset({
    "meeting.opened", "member.joined", "member.left", "member.absent", "deputy.summoned", "member.media",
    "member.in_room", "mode.changed", "conflict.ruled",
})

# Events after which the quorum now may have changed (who may vote, or the item they vote on).
QUORUM_EVENTS = PRESENCE_EVENTS | {"item.opened", "item.closed"}

KNOWN_EVENT_TYPES = frozenset(_HANDLERS) | {
    "meeting.created", "conflict.declared", "late_item.refused", "item.deferred", "agenda.reordered",
    "meeting.location_changed", "minutes.signatories_chosen", "minutes.signed", "minutes.approved",
    "minutes.correction", "exemption.applied", "member.talking",
}
