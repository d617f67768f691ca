import json
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command

from meetings import events, projection
from meetings.exceptions import LogTampered, PermissionDenied
from meetings.models import Meeting, MeetingEvent
from meetings.services.log import event_record, log_verify
from tests.factories import live, run, start_meeting


def play(council, meeting):
    start_meeting(council, meeting)
    item = meeting.items.first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.members[0], meeting, "floor.request")
    run(council.members[1], meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")
    run(council.members[2], meeting, "floor.request", kind="reply")
    vote = run(council.chair, meeting, "vote.open")
    for u in [council.chair, *council.members]:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    run(council.chair, meeting, "item.close", item_id=item.id)
    return item


def test_it_chains_every_event_to_the_one_before(council, meeting):
    play(council, meeting)
    evs = list(MeetingEvent.objects.filter(meeting=meeting).order_by("seq"))
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    for before, after in pairwise(evs):
        assert after.prev_digest == before.digest
    assert log_verify(meeting_id=meeting.id) == len(evs)


def test_it_detects_a_tampered_payload_and_verify_log_fails(council, meeting, capsys):
    play(council, meeting)
    call_command("verify_log", str(meeting.id))
    assert "intact" in capsys.readouterr().out
    cast = MeetingEvent.objects.filter(meeting=meeting, type="vote.cast").first()
    MeetingEvent.objects.filter(pk=cast.pk).update(payload={**cast.payload, "choice": "against"})
    with pytest.raises(LogTampered, match=f"event #{cast.seq}"):
        log_verify(meeting_id=meeting.id)
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_log", str(meeting.id))


def test_it_detects_a_removed_last_event(council, meeting):
    play(council, meeting)
    last = MeetingEvent.objects.filter(meeting=meeting).order_by("-seq").first()
    MeetingEvent.objects.filter(pk=last.pk)._raw_delete(MeetingEvent.objects.db)
    with pytest.raises(LogTampered, match="removed"):
        log_verify(meeting_id=meeting.id)


def test_it_refuses_to_update_or_delete_an_event(council, meeting):
    play(council, meeting)
    event = MeetingEvent.objects.filter(meeting=meeting).first()
    event.type = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()


def test_replaying_the_log_gives_the_stored_live_state(council, meeting):
    play(council, meeting)
    records = [event_record(e) for e in MeetingEvent.objects.filter(meeting=meeting).order_by("seq")]
    stored = live(meeting)
    assert stored["last_public_seq"] > 0
    assert projection.replay(records) == stored


def test_it_broadcasts_each_event_once_after_commit(council, meeting, django_capture_on_commit_callbacks):
    seen = []
    events.add_listener(seen.append)
    try:
        start_meeting(council, meeting, join_all=False)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            run(council.members[0], meeting, "member.join")
        assert len(callbacks) == 1
        assert [e.type for e in seen][-1] == "member.joined"
    finally:
        events.remove_listener(seen.append)


def test_every_event_payload_round_trips_through_json(council, meeting):
    play(council, meeting)
    for e in MeetingEvent.objects.filter(meeting=meeting):
        assert json.loads(json.dumps(e.payload)) == e.payload
        assert e.type in projection.KNOWN_EVENT_TYPES


def test_a_failed_service_writes_nothing(council, meeting):
    start_meeting(council, meeting)
    before = Meeting.objects.get(id=meeting.id).last_seq
    with pytest.raises(PermissionDenied):
        run(council.members[0], meeting, "vote.open")  # not the chair
    assert Meeting.objects.get(id=meeting.id).last_seq == before
    assert MeetingEvent.objects.filter(meeting=meeting).count() == before


def test_casting_a_vote_takes_a_bounded_number_of_queries(council, meeting, django_assert_max_num_queries):
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    vote = run(council.chair, meeting, "vote.open")
    with django_assert_max_num_queries(8):
        run(council.members[0], meeting, "vote.cast", vote=vote, choice="for")


def test_it_folds_each_event_into_the_locked_meetings_own_state(council, meeting):
    from django.db import transaction

    from meetings.services.log import log_append, meeting_lock

    start_meeting(council, meeting)
    with transaction.atomic():
        locked = meeting_lock(meeting.id)
        state = locked.live_state
        first = log_append(meeting=locked, type="question.asked",
                           payload={"person": council.pid(council.chair), "name": "Ordfører Olsen", "text": "Én"})
        log_append(meeting=locked, type="question.asked",
                   payload={"person": council.pid(council.chair), "name": "Ordfører Olsen", "text": "To"})
        # A service holding `state` across appends sees both events folded in.
        assert locked.live_state is state and [q["text"] for q in state["questions"]] == ["Én", "To"]
        # The state has its own copy of each payload: changing it cannot change an event's message.
        state["questions"][0]["text"] = "endret"
        assert first.payload["text"] == "Én"
    stored = Meeting.objects.get(id=meeting.id)
    assert [q["text"] for q in stored.live_state["questions"]] == ["Én", "To"]
    assert stored.live_state["last_seq"] == stored.last_seq
    records = [event_record(e) for e in MeetingEvent.objects.filter(meeting=meeting).order_by("seq")]
    assert projection.replay(records) == stored.live_state
