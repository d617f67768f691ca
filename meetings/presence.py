"""Who sees and hears, who may vote, and why not: the one rule, over the live state (§ 11-7 (2), § 11-9).

§ 11-7 (2): a remote meeting means the participants «via tekniske hjelpemidler likevel kan se, høre
og kommunisere med hverandre». So in a remote meeting a member counts only while the media server
*measures* that the member's audio arrives, that the member receives, and (unless an exemption
profile in force allows audio-only meetings) that the member's video arrives and the member is not
receiving audio only. Until the first measurement the member is *connecting*. A member whom the
chair or the clerk registers as physically in the room (a hybrid meeting, which is a remote meeting:
KMD 1 Sept 2020) counts without media; so does everyone in a physical meeting.

The projection stores the answer for every person it knows (`state["presence"]`), so the pages, the
API and the minutes show it and never compute it. Pure functions (Django only for the reasons' words,
its gettext): the projection imports this module, not the other way round.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

State = dict[str, Any]

SEATED_ROLES = ("member", "chair", "deputy_chair")
VOTING_ROLES = (*SEATED_ROLES, "deputy")

# Reason codes, in the order a page lists them. The texts live here and nowhere else (gettext messages,
# translated in locale/<lang>).
REASONS: dict[str, Any] = {
    "connecting": gettext_lazy("connecting (no audio or video measured yet)"),
    "no_audio": gettext_lazy("cannot be heard (no audio arrives)"),
    "not_receiving": gettext_lazy("cannot hear the meeting (not receiving)"),
    "no_video": gettext_lazy("cannot be seen (no video arrives)"),
    "audio_only": gettext_lazy("receives audio only (cannot see the meeting)"),
    "recused": gettext_lazy("stepped down from the item (conflict or exemption)"),
    "left": gettext_lazy("has left the meeting"),
    "absent": gettext_lazy("reported absent"),
    "not_arrived": gettext_lazy("has not registered as present"),
    "joined_late": gettext_lazy("arrived after the item's debate began"),
}


def reason_text(code: str | None, lang: str | None = None) -> str:
    """A reason in words, in `lang` or else the active language; an unknown code as it is."""
    if not code:
        return ""
    if code not in REASONS:
        return code
    if lang is None:
        return str(REASONS[code])
    with translation.override(lang):
        return str(REASONS[code])


def assess(state: State, pid: str) -> tuple[bool, str | None]:
    """(sees_and_hears, reason when not) for one person, from the measured facts in `state`."""
    a = state["attendance"].get(pid)
    if not a:
        return False, "absent" if pid in state["absent"] else "not_arrived"
    if not a["present"]:
        if pid in state["absent"]:
            return False, "absent"
        return False, "left" if a.get("since") else "not_arrived"  # a summoned deputy not yet here
    if state["meeting"]["form"] != "remote" or a.get("in_room"):
        return True, None
    media = a["media"]
    if not media.get("measured"):
        return False, "connecting"
    if not media["sends_audio"]:
        return False, "no_audio"
    if not media["receives"]:
        return False, "not_receiving"
    if state["meeting"]["mode"] == "audio_only":
        return True, None  # an exemption profile in force allows audio-only meetings
    if not media["sends_video"]:
        return False, "no_video"
    if a["audio_only"]:
        return False, "audio_only"
    return True, None


def can_see_and_hear(state: State, pid: str) -> bool:
    return assess(state, pid)[0]


def voting_persons(state: State) -> list[str]:
    """Seated members and summoned deputies who are present now (not clerks or absent members)."""
    out = []
    for pid, a in state["attendance"].items():
        if not a["present"] or a["role"] not in VOTING_ROLES:
            continue
        if a["role"] == "deputy" and not a.get("substitute_for"):
            continue
        out.append(pid)
    return sorted(out, key=int)


def eligibility(state: State, item_id: str | None, pid: str) -> tuple[bool, str | None]:
    """May `pid` vote on `item_id` now, and if not, why."""
    item = state["items"].get(item_id) if item_id else None
    if item and pid in item.get("recused", {}):
        return False, "recused"
    ok, reason = assess(state, pid)
    if pid not in voting_persons(state):
        return False, reason or "not_arrived"
    return ok, reason


def eligible_voters(state: State, item_id: str | None) -> list[str]:
    return [pid for pid in voting_persons(state) if eligibility(state, item_id, pid)[0]]


def seat_holders(state: State) -> list[str]:
    """Everyone who holds a seat in this meeting: the roster's seated members and summoned deputies,
    and anyone taking part in a voting role. The list a vote result explains, member by member."""
    pids = {pid for pid, r in state["roster"].items() if r.get("role") in SEATED_ROLES}
    pids |= {a["deputy"] for a in state["absent"].values() if a.get("deputy")}
    pids |= set(voting_persons(state))
    return sorted(pids, key=int)


def name_of(state: State, pid: str) -> str:
    a = state["attendance"].get(pid)
    name: str = a["name"] if a else state["roster"].get(pid, {}).get("name", "")
    return name


def summary(state: State, pid: str) -> dict[str, Any]:
    """What the projection stores per person in `state["presence"]`."""
    ok, reason = assess(state, pid)
    return {"sees_and_hears": ok, "reason": reason}
