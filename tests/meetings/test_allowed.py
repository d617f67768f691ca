"""meetings/allowed.py: the commands a person may send now are exactly those the services accept.

A meeting is walked through its states with the real services; at each step every command is tried
as every role (in a savepoint that is rolled back): a command listed as allowed is accepted with some
payload, one not listed is refused with every payload tried.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from meetings import allowed, commands
from meetings.exceptions import DomainError
from meetings.legal import ClosureGround
from meetings.models import Meeting, Membership
from meetings.quorum import quorum_now
from tests.factories import make_council, make_meeting, report_media, run, start_meeting

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def payloads(state: dict[str, Any], meeting: Meeting, pid: str, name: str) -> list[dict[str, Any]]:
    """The payloads worth trying for `name` in this state: each a way it could be accepted."""
    items = [i.id for i in meeting.items.order_by("order")]
    present = [p for p, a in state["attendance"].items() if a["present"]]
    current = state.get("current_item")
    open_vote = state.get("open_vote")
    voted_item = state["votes"][open_vote]["item"] if open_vote else None
    ground = ClosureGround.PRIVACY
    if name in ("meeting.set_chair",):
        return [{"person_id": int(meeting.chair_id or 0) or 1}]
    if name == "meeting.set_mode":
        return [{"mode": "normal"}]
    if name == "member.audio_only":
        return [{"on": True}]
    if name == "member.in_room":
        return [{"person_id": int(p), "in_room": True} for p in present[:1]] or [{"person_id": 1, "in_room": True}]
    if name == "absence.register":
        # The body's seated members (the roster is empty before the meeting opens, and a guessed id
        # such as 1 exists only where the database's id sequences started afresh).
        return [{"person_id": m.person_id} for m in Membership.objects.filter(body=meeting.body) if m.is_seated]
    if name == "deputy.summon":
        deputies = [int(p) for p, r in state["roster"].items() if r["role"] == "deputy"]
        return [{"for_member_id": int(p), "deputy_id": d} for p, a in state["absent"].items() if not a.get("deputy")
                for d in [None, *deputies]] or [{"for_member_id": 1}]
    if name == "item.open":
        return [{"item_id": i} for i in items]
    if name == "item.close":
        return [{"item_id": int(current)} if current else {"item_id": items[0]},
                *({"item_id": i, "defer": True} for i in items)]
    if name == "item.add_late":
        return [{"case_number": "PS 9/26", "title": "Sent sak"}]
    if name == "floor.request":
        return [{"kind": "speech"}, {"kind": "reply", "reply_to": int(present[0]) if present else 1}]
    if name == "floor.withdraw":
        return [{"kind": s["kind"], "person_id": int(s["person"])} for s in state["speakers"]] or [{}]
    if name == "speakers.reorder":
        return [{"order": [{"person": int(s["person"]), "kind": s["kind"]} for s in state["speakers"]]}]
    if name == "floor.grant":
        return [{}, *({"person_id": int(p)} for p in present[:1])]
    if name in ("question.ask", "proposal.submit"):
        return [{"text": "Hva koster det?"}]
    if name == "proposal.withdraw":
        return [{"proposal": int(n)} for n in state["proposals"]] or [{"proposal": 1}]
    if name == "vote.open":
        return [{}, {"kind": "closure"}, {"kind": "election", "candidates": ["Kari"]}]
    if name == "vote.cast":
        options = state["votes"][open_vote]["options"] if open_vote else ["for"]
        return [{"vote": int(open_vote or 1), "choice": options[0]}]
    if name == "vote.close":
        return [{"vote": int(open_vote or 1)}]
    if name == "doors.motion":
        return [{"ground": ground, "item_id": i} for i in items[:1]]
    if name == "conflict.declare":
        return [{"item_id": int(current or items[0])}]
    if name == "conflict.rule":
        item = next(i for i in items if str(i) != voted_item)
        return [{"item_id": item, "person_id": int(p), "recused": False, "legal_basis": "fvl. § 6"}
                for p in list(state["attendance"])[:1]] or [{"item_id": item, "person_id": 1, "recused": False,
                                                             "legal_basis": "fvl. § 6"}]
    return [{}]


def accepted(user: Any, meeting: Meeting, name: str, payload: dict[str, Any]) -> bool:
    try:
        with transaction.atomic():
            commands.execute(name=name, user=user, meeting_id=meeting.id, payload=payload)
            raise Rollback
    except Rollback:
        return True
    except DomainError:
        return False


def check_every_command(council, meeting: Meeting, users: list[Any]) -> dict[str, list[str]]:
    m = Meeting.objects.select_related("body").get(id=meeting.id)
    everyone = allowed.for_participants(m, m.live_state)
    for user in users:
        pid = str(council.pid(user))
        mine = set(everyone[pid])
        for name in commands.COMMANDS:
            tried = payloads(m.live_state, m, pid, name)
            ok = [p for p in tried if accepted(user, m, name, p)]
            if name in mine:
                assert ok, f"{user.username}: {name} is listed as allowed but every payload was refused"
            else:
                assert not ok, f"{user.username}: {name} is not listed as allowed but {ok[0]} was accepted"
    return everyone


def test_it_has_a_check_for_every_command():
    assert list(allowed.CHECKS) == list(commands.COMMANDS)


def test_every_command_listed_is_accepted_and_every_other_is_refused():
    council = make_council(seats=5, deputies=1)
    meeting = make_meeting(council)
    chair, m1, m2 = council.chair, council.members[0], council.members[1]
    users = [chair, m1, m2, council.clerk, council.deputies[0]]
    check_every_command(council, meeting, users)  # the notice is out; the meeting not yet open
    start_meeting(council, meeting, join_all=False)
    for u in (chair, m1, m2):
        run(u, meeting, "member.join")
        report_media(meeting, u)
    run(chair, meeting, "absence.register", person_id=council.pid(council.members[3]), reason="Syk")
    check_every_command(council, meeting, users)  # in session, no item open
    run(chair, meeting, "deputy.summon", for_member_id=council.pid(council.members[3]),
        deputy_id=council.pid(council.deputies[0]))
    run(council.deputies[0], meeting, "member.join")
    report_media(meeting, council.deputies[0])
    item = meeting.items.order_by("order").first()
    run(chair, meeting, "item.open", item_id=item.id)
    run(m1, meeting, "floor.request")
    proposal = run(m1, meeting, "proposal.submit", text="Saken utsettes")
    check_every_command(council, meeting, users)  # an item open, a speaker waiting, a proposal
    run(chair, meeting, "floor.grant")
    vote = run(chair, meeting, "vote.open", proposals=[proposal])
    run(m1, meeting, "vote.cast", vote=vote, choice="for")
    check_every_command(council, meeting, users)  # a vote open, one ballot in, someone has the floor
    run(chair, meeting, "vote.close", vote=vote)
    run(chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    check_every_command(council, meeting, users)  # a motion to close pending
    closure = run(chair, meeting, "vote.open", kind="closure")
    for u in (chair, m1, m2):
        run(u, meeting, "vote.cast", vote=closure, choice="for")
    run(chair, meeting, "vote.close", vote=closure)
    check_every_command(council, meeting, users)  # behind closed doors
    run(chair, meeting, "doors.open")
    run(chair, meeting, "meeting.suspend")
    check_every_command(council, meeting, users)  # suspended
    run(chair, meeting, "meeting.end")
    check_every_command(council, meeting, users)  # ended


def allowed_now(meeting: Meeting) -> dict[str, set[str]]:
    m = Meeting.objects.select_related("body").get(id=meeting.id)
    return {pid: set(names) for pid, names in allowed.for_participants(m, m.live_state).items()}


def test_it_gives_the_chair_the_meetings_transitions_and_the_members_their_own_actions():
    council = make_council(seats=5, deputies=1, slug="al")
    meeting = make_meeting(council)
    chair, member, clerk = (str(council.pid(u)) for u in (council.chair, council.members[0], council.clerk))
    deputy = str(council.pid(council.deputies[0]))
    before = allowed_now(meeting)
    assert {"meeting.open", "roll_call", "member.join"} <= before[chair]
    assert not before[chair] & {"meeting.suspend", "meeting.end", "item.open", "vote.open"}
    assert before[member] == {"member.join", "member.leave", "member.audio_only"}
    assert {"absence.register", "meeting.set_chair", "member.join"} <= before[clerk]
    assert "meeting.open" not in before[clerk]
    assert before[deputy] == {"member.leave", "member.audio_only"}  # not summoned: may not join

    start_meeting(council, meeting)
    in_session = allowed_now(meeting)
    assert {"meeting.suspend", "meeting.adjourn", "meeting.end", "item.open", "item.add_late"} <= in_session[chair]
    assert not in_session[chair] & {"meeting.open", "meeting.resume", "vote.open", "floor.end"}
    assert "question.ask" in in_session[member] and "floor.request" not in in_session[member]

    item = meeting.items.order_by("order").first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    item_open = allowed_now(meeting)
    assert {"vote.open", "item.close", "doors.motion"} <= item_open[chair] and "item.open" not in item_open[chair]
    assert {"floor.request", "proposal.submit", "conflict.declare"} <= item_open[member]
    assert "vote.open" not in item_open[member]

    vote = run(council.chair, meeting, "vote.open")
    vote_open = allowed_now(meeting)
    assert {"vote.close", "vote.cast"} <= vote_open[chair]
    assert not vote_open[chair] & {"vote.open", "item.close", "meeting.end"}
    assert "vote.cast" in vote_open[member]
    run(council.members[0], meeting, "vote.cast", vote=vote, choice="for")
    assert "vote.cast" not in allowed_now(meeting)[member]  # voted once

    run(council.chair, meeting, "vote.close", vote=vote)
    run(council.chair, meeting, "meeting.end")
    ended = allowed_now(meeting)
    # What the services still accept of the chair after the end: none of the meeting's procedure, only
    # records (an absence, who sat in the room), handing over the chair, and deferring the items never opened.
    assert ended[chair] == {"meeting.set_chair", "member.leave", "member.audio_only", "member.in_room",
                            "absence.register", "speakers.reorder", "item.close"}
    assert ended[member] == {"member.leave", "member.audio_only"}


def test_it_counts_the_quorum_from_those_who_see_and_hear():
    council = make_council(seats=5, slug="qu")
    meeting = make_meeting(council)
    start_meeting(council, meeting, join_all=False)
    assert Meeting.objects.get(id=meeting.id).live_state["quorum"] == {"present": 0, "required": 3, "met": False}
    for u in (council.chair, council.members[0]):
        run(u, meeting, "member.join")
        report_media(meeting, u)
    run(council.members[1], meeting, "member.join")  # connecting: not seen and heard yet
    state = Meeting.objects.get(id=meeting.id).live_state
    assert state["quorum"] == {"present": 2, "required": 3, "met": False} == quorum_now(state)
    report_media(meeting, council.members[1])
    assert Meeting.objects.get(id=meeting.id).live_state["quorum"] == {"present": 3, "required": 3, "met": True}
    report_media(meeting, council.members[1], audio=False)
    assert Meeting.objects.get(id=meeting.id).live_state["quorum"]["met"] is False


def test_an_enterprise_board_has_no_quorum_rule_to_meet():
    council = make_council(seats=5, slug="kf")
    council.body.body_type = "kf-styre"
    council.body.save(update_fields=["body_type"])
    meeting = make_meeting(council)
    start_meeting(council, meeting, join_all=False)
    assert Meeting.objects.get(id=meeting.id).live_state["quorum"] == {"present": 0, "required": 0, "met": True}
