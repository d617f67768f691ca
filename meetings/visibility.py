"""What the anonymous public may see of each event (§ 11-5): decided once, when the event is written.

Rules: nothing from a closed part reaches the public except that the doors are closed, on which
ground, and the item's public title; individual ballots are public only in the closed vote's named
result; media health, talking indicators and absence reasons are member-only.
"""

from __future__ import annotations

from typing import Any

from .projection import State

ALWAYS_PUBLIC = {
    "notice.published", "meeting.opened", "meeting.suspended", "meeting.adjourned", "meeting.resumed",
    "meeting.ended", "meeting.chair_changed", "doors.motion", "doors.debate_closed", "doors.closed",
    "doors.opened", "doors.motion_rejected", "mode.changed", "stream.state", "minutes.published",
    "minutes.correction", "exemption.applied", "item.added",
}
PUBLIC_WHILE_OPEN = {
    "floor.requested", "floor.withdrawn", "speakers.reordered", "floor.granted", "floor.ended", "question.asked",
    "proposal.submitted", "proposal.withdrawn", "vote.opened", "vote.closed", "conflict.ruled", "item.closed",
    "conflict.declared", "late_item.refused", "item.deferred",
}
MEMBER_ONLY = {"member.media", "member.talking"}


def public_payload(event_type: str, payload: dict[str, Any], state_after: State) -> dict[str, Any] | None:
    """The public form of an event, or None. `state_after` is the live state with the event applied."""
    closed = state_after["doors"]["closed"]
    if event_type in MEMBER_ONLY:
        return None
    if event_type == "meeting.opened":
        return {k: v for k, v in payload.items() if k != "roster"}
    if event_type in ALWAYS_PUBLIC:
        return payload
    if event_type in ("member.joined", "member.left", "deputy.summoned"):
        return {k: payload[k] for k in ("person", "name", "party", "role", "substitute_for", "deputy", "for_member",
                                        "for_name") if k in payload}
    if event_type == "member.absent":
        return {"person": payload["person"], "name": payload.get("name")}  # the reason may be private
    if event_type == "item.opened":
        # An item planned for closed doors is opened in public by its public title only: its real
        # title and recommendation are the exempt part even before the doors close.
        if closed or payload.get("planned_closure_ground"):
            return {"item": payload["item"], "case_number": payload["case_number"],
                    "title": payload.get("public_title") or payload["title"]}
        return payload
    if event_type == "vote.cast":
        # Only the tally; how each member voted becomes public with the named result at vote.closed.
        return None if closed else {"vote": payload["vote"], "cast": payload["cast"], "eligible": payload["eligible"]}
    if event_type == "vote.opened" and payload.get("kind") == "closure":
        return payload  # § 11-5 (5): the vote on closing is held in open session
    if event_type == "vote.closed" and payload.get("kind") == "closure":
        return payload
    if event_type in PUBLIC_WHILE_OPEN:
        return None if closed else payload
    return None
