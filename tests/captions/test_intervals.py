"""Speech intervals from a real meeting log: who spoke when, open doors only."""

from __future__ import annotations

import datetime as dt

import pytest

from captions.intervals import meeting_records, speech_intervals
from meetings.models import MeetingEvent
from tests.captions.helpers import SteppingClock, close_and_reopen, speak
from tests.factories import make_council, make_meeting, run, start_meeting

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def logged(db):
    """Medlem 1 speaks and yields; Medlem 2 speaks until the doors close; behind them Medlem 1
    speaks; after they open Medlem 2 speaks until the item is closed."""
    council = make_council(seats=4, slug="cap")
    meeting = make_meeting(council, items=1)
    m1, m2 = council.members[0], council.members[1]
    clock = SteppingClock(T0)
    with clock.replaying():
        start_meeting(council, meeting)
        run(council.chair, meeting, "item.open", item_id=meeting.items.get().id)
        clock.at(T0 + dt.timedelta(seconds=60))
        speak(council, meeting, m1)
        clock.at(T0 + dt.timedelta(seconds=90))
        run(council.chair, meeting, "floor.end")
        speak(council, meeting, m2)
        clock.at(T0 + dt.timedelta(seconds=120))

        def behind_closed_doors() -> None:
            clock.at(T0 + dt.timedelta(seconds=200))
            speak(council, meeting, m1)
            clock.at(T0 + dt.timedelta(seconds=230))
            run(council.chair, meeting, "floor.end")

        close_and_reopen(council, meeting, behind_closed_doors)
        clock.at(T0 + dt.timedelta(seconds=300))
        speak(council, meeting, m2)
        clock.at(T0 + dt.timedelta(seconds=330))
        run(council.chair, meeting, "item.close", item_id=meeting.items.get().id)
        run(council.chair, meeting, "meeting.end")
    return council, meeting


def _at(meeting, kind: str) -> list[dt.datetime]:
    return list(MeetingEvent.objects.filter(meeting=meeting, type=kind).order_by("seq").values_list("at", flat=True))


def test_it_names_each_open_speech_from_the_log(logged):
    council, meeting = logged
    speeches = speech_intervals(meeting_records(meeting.id))
    assert [s.name for s in speeches] == ["Medlem 1", "Medlem 2", "Medlem 2"]
    assert [s.person_id for s in speeches] == [council.pid(u) for u in
                                               (council.members[0], council.members[1], council.members[1])]
    first, second, third = speeches
    assert first.start == _at(meeting, "floor.granted")[0] and first.end == _at(meeting, "floor.ended")[0]
    assert second.start == _at(meeting, "floor.granted")[1]
    assert third.start == _at(meeting, "floor.granted")[-1] and third.end == _at(meeting, "item.closed")[0]
    assert (third.end - third.start).total_seconds() == pytest.approx(30, abs=0.1)


def test_it_leaves_out_everything_behind_closed_doors(logged):
    council, meeting = logged
    [closed_at] = _at(meeting, "doors.closed")
    [opened_at] = _at(meeting, "doors.opened")
    speeches = speech_intervals(meeting_records(meeting.id))
    assert all(s.end <= closed_at or s.start >= opened_at for s in speeches)
    # Medlem 2 held the floor when the motion to close came: the open part ends at the latest at the closing.
    assert speeches[1].end <= closed_at
    assert len(_at(meeting, "floor.granted")) == 4  # the closed-doors grant is in the log, not in the captions


def test_it_ends_a_speech_still_going_at_the_end_of_the_log():
    at = T0 + dt.timedelta(seconds=10)
    records = [{"type": "floor.granted", "payload": {"person": 7, "name": "Ola", "limit": None}, "at": T0, "seq": 1}]
    assert speech_intervals(records) == []
    [speech] = speech_intervals(records, until=at)
    assert (speech.name, speech.start, speech.end) == ("Ola", T0, at)
