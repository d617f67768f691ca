"""The live state says whether the public minutes are out (`minutes`, meetings/projection.py), so the
chair's console can say "meeting ended — minutes published" and link them without asking elsewhere."""

from __future__ import annotations

import pytest

from meetings.models import MeetingEvent
from meetings.projection import replay
from tests.factories import live, make_council, make_meeting, run, start_meeting

pytestmark = pytest.mark.django_db


def end(council, meeting, capture) -> None:
    start_meeting(council, meeting)
    assert live(meeting)["minutes"] == {"published": False, "version": 0}
    with capture(execute=True):  # publication reacts to meeting.ended's commit, as in production
        run(council.chair, meeting, "meeting.end")


def test_it_states_the_minutes_published_when_the_meeting_ends(django_capture_on_commit_callbacks):
    council = make_council(slug="mp")
    meeting = make_meeting(council)
    end(council, meeting, django_capture_on_commit_callbacks)
    state = live(meeting)
    assert state["meeting"]["state"] == "ended"
    assert state["minutes"] == {"published": True, "version": 1}
    events = MeetingEvent.objects.filter(meeting=meeting).order_by("seq")
    assert replay({"seq": e.seq, "type": e.type, "at": e.at.isoformat(), "actor": None, "payload": e.payload}
                  for e in events)["minutes"] == state["minutes"]


def test_it_states_the_minutes_unpublished_during_the_review_window(django_capture_on_commit_callbacks):
    council = make_council(slug="mr")
    council.body.minutes_review_hours = 48
    council.body.save()
    meeting = make_meeting(council)
    end(council, meeting, django_capture_on_commit_callbacks)
    state = live(meeting)
    assert state["meeting"]["state"] == "ended" and state["minutes"] == {"published": False, "version": 0}
