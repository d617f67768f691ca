import pytest

from meetings.exceptions import IllegalTransition
from meetings.state import (
    DOORS_EVENTS,
    DOORS_TRANSITIONS,
    DoorsState,
    ItemState,
    MeetingState,
    doors_state_after,
    doors_state_of,
    next_doors_state,
    next_item_state,
    next_meeting_state,
)


def test_it_walks_the_meeting_lifecycle():
    s = MeetingState.DRAFT
    for event in ["publish_notice", "open", "suspend", "resume", "adjourn", "resume", "end"]:
        s = next_meeting_state(s, event)
    assert s == MeetingState.ENDED


@pytest.mark.parametrize("state,event", [
    (MeetingState.DRAFT, "open"), (MeetingState.ENDED, "resume"), (MeetingState.NOTICE_PUBLISHED, "end"),
    (MeetingState.IN_SESSION, "publish_notice"),
])
def test_it_refuses_illegal_meeting_transitions(state, event):
    with pytest.raises(IllegalTransition):
        next_meeting_state(state, event)


def test_a_handled_item_cannot_be_reopened():
    assert next_item_state(ItemState.PENDING, "open") == ItemState.OPEN
    with pytest.raises(IllegalTransition):
        next_item_state(ItemState.HANDLED, "open")


def test_it_walks_the_doors_through_the_closure_procedure():
    # § 11-5 (5): motion, the debate on it behind closed doors, the vote in open session, closed, reopened.
    s = DoorsState.OPEN
    walk = [("motion", DoorsState.OPEN), ("debate_closed", DoorsState.DEBATE_CLOSED), ("opened", DoorsState.OPEN),
            ("closed", DoorsState.CLOSED), ("opened", DoorsState.OPEN), ("motion", DoorsState.OPEN),
            ("motion_rejected", DoorsState.OPEN)]
    for event, expected in walk:
        s = next_doors_state(s, event)
        assert s == expected


@pytest.mark.parametrize("state,event,code", [
    (DoorsState.CLOSED, "motion", "doors_closed"), (DoorsState.DEBATE_CLOSED, "motion", "doors_closed"),
    (DoorsState.CLOSED, "closed", "doors_closed"), (DoorsState.DEBATE_CLOSED, "closed", "doors_closed"),
    (DoorsState.CLOSED, "debate_closed", "doors_closed"), (DoorsState.DEBATE_CLOSED, "motion_rejected", "doors_closed"),
    (DoorsState.OPEN, "opened", "doors_open"),
])
def test_it_refuses_illegal_doors_transitions(state, event, code):
    with pytest.raises(IllegalTransition) as refused:
        next_doors_state(state, event)
    assert refused.value.code == code


def test_each_doors_event_leads_to_one_state_whatever_came_before():
    for (_before, event), after in DOORS_TRANSITIONS.items():
        assert doors_state_after(event) == after
    assert set(DOORS_EVENTS.values()) == {event for _, event in DOORS_TRANSITIONS}


def test_the_projection_folds_the_doors_as_the_table_says():
    from meetings import projection

    state = projection.doors_initial()
    assert doors_state_of(state["doors"]) == DoorsState.OPEN
    for seq, (kind, payload) in enumerate([("doors.motion", {"ground": "11-5-3-a", "item": 4, "person": 1}),
                                           ("doors.debate_closed", {"ground": "11-5-3-a", "item": 4}),
                                           ("doors.opened", {"reason": ""}),
                                           ("doors.closed", {"ground": "11-5-3-a", "item": 4, "vote": 1}),
                                           ("doors.opened", {"reason": ""})], start=1):
        before = doors_state_of(state["doors"])
        assert projection.apply_doors(state, {"type": kind, "payload": payload, "at": f"t{seq}", "seq": seq})
        assert doors_state_of(state["doors"]) == next_doors_state(before, DOORS_EVENTS[kind])
        assert state["doors"]["closed"] is (doors_state_of(state["doors"]) != DoorsState.OPEN)
    assert projection.apply_doors(state, {"type": "floor.granted", "payload": {}, "at": "t", "seq": 9}) is False


def test_an_item_deferred_before_it_was_ever_opened_is_deferred_not_an_internal_error(db):
    # Found by the protocol fuzz test: item.close with defer for a pending item raised KeyError.
    from tests.factories import live, make_council, make_meeting, run, start_meeting

    council = make_council(seats=3, slug="defer")
    meeting = make_meeting(council, items=2)
    start_meeting(council, meeting)
    second = meeting.items.order_by("order").last()
    run(council.chair, meeting, "item.close", item_id=second.id, defer=True)
    assert live(meeting)["items"][str(second.id)]["state"] == "deferred"
