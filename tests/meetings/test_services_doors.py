"""The doors (§ 11-5) as one transition table: every doors event is written by services/doors.py,
which asks the table (meetings/state.py) before it writes."""

from __future__ import annotations

import pathlib
import re

import pytest

from meetings.exceptions import IllegalTransition, LegalRuleViolation
from meetings.legal import ClosureGround
from tests.factories import live, run, start_meeting
from tests.helpers import close_doors

ROOT = pathlib.Path(__file__).resolve().parents[2]


def open_item(council, meeting) -> None:
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)


def test_it_writes_every_doors_event_in_services_doors_only():
    writers = {}
    for path in (ROOT / "meetings").rglob("*.py"):
        for kind in re.findall(r'type="(doors\.[a-z_]+)"', path.read_text()):
            writers.setdefault(kind, set()).add(path.relative_to(ROOT).as_posix())
    assert set(writers) == {"doors.motion", "doors.debate_closed", "doors.closed", "doors.opened",
                            "doors.motion_rejected"}
    assert all(files == {"meetings/services/doors.py"} for files in writers.values()), writers


def test_it_refuses_a_motion_behind_closed_doors_by_the_table(council, meeting):
    open_item(council, meeting)
    close_doors(council, meeting)
    seq = live(meeting)["last_seq"]
    with pytest.raises(IllegalTransition) as refused:
        run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    assert refused.value.code == "doors_closed"
    with pytest.raises(IllegalTransition) as refused:
        run(council.chair, meeting, "doors.close_debate")
    assert refused.value.code == "doors_closed"
    assert live(meeting)["last_seq"] == seq  # a refusal writes nothing


def test_it_refuses_to_reopen_open_doors(council, meeting):
    open_item(council, meeting)
    with pytest.raises(IllegalTransition) as refused:
        run(council.chair, meeting, "doors.open")
    assert refused.value.code == "doors_open"


def test_law_16_the_debate_on_closing_is_not_closed_while_a_vote_is_open(council, meeting):
    # § 11-5 (5): the vote on closing is held in open session; no vote changes the doors midway.
    open_item(council, meeting)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    run(council.chair, meeting, "vote.open", kind="closure")
    with pytest.raises(LegalRuleViolation) as refused:
        run(council.chair, meeting, "doors.close_debate")
    assert refused.value.code == "vote_open" and live(meeting)["doors"]["closed"] is False


def test_it_keeps_the_table_state_in_the_live_state(council, meeting):
    open_item(council, meeting)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    run(council.chair, meeting, "doors.close_debate")
    assert live(meeting)["doors"]["state"] == "debate_closed"
    vote = run(council.chair, meeting, "vote.open", kind="closure")
    assert live(meeting)["doors"]["state"] == "open"
    users = {str(council.pid(u)): u for u in [council.chair, *council.members]}
    for pid in live(meeting)["votes"][str(vote)]["eligible"]:
        run(users[pid], meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    assert live(meeting)["doors"]["state"] == "closed"
