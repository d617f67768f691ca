import pytest

from meetings.exceptions import IllegalTransition
from meetings.state import ItemState, MeetingState, next_item_state, next_meeting_state


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
