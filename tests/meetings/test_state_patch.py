"""meetings/state_patch.py: each event's patch to the live state and to the public document, computed
once where the event is written, folds the state a client holds into exactly the server's."""

from __future__ import annotations

import copy
import json

import pytest
from django.db import transaction

from meetings import commands, public_state, state_patch
from meetings.legal import ClosureGround
from meetings.models import Meeting
from meetings.services.log import log_append, meeting_lock
from tests.factories import make_council, make_meeting, report_media, run, start_meeting


@pytest.fixture(autouse=True)
def fresh_memory():
    state_patch.forget()
    public_state._cache.clear()


def test_it_diffs_two_levels_deep_and_folds_back() -> None:
    before = {"votes": {"1": {"cast": 1}, "2": {"cast": 0}}, "floor": None, "speakers": [{"name": "A"}],
              "questions": [{"text": "a"}], "a/b": {"x~y": 1}, "gone": 3, "last_seq": 4}
    after = {"votes": {"1": {"cast": 2}, "3": {"cast": 0}}, "floor": {"name": "B"}, "speakers": [],
             "questions": [{"text": "a"}, {"text": "b"}, {"text": "c"}], "a/b": {"x~y": 2}, "last_seq": 5,
             "new": {"k": 1}}
    ops = state_patch.diff(state_patch.prints(before), state_patch.prints(after), after)
    assert sorted((op["op"], op["path"]) for op in ops) == sorted([
        ("replace", "/votes/1"), ("add", "/votes/3"), ("remove", "/votes/2"), ("replace", "/floor"),
        ("replace", "/speakers"), ("add", "/questions/-"), ("add", "/questions/-"), ("replace", "/a~1b/x~0y"),
        ("replace", "/last_seq"), ("add", "/new"), ("remove", "/gone")])
    assert state_patch.apply(copy.deepcopy(before), json.loads(json.dumps(ops))) == after
    assert state_patch.diff(state_patch.prints(after), state_patch.prints(after), after) == []


def test_it_ignores_key_order_but_keeps_the_servers_order_in_values() -> None:
    state = {"votes": {"1": {"counts": {"Kari": 2, "Anne": 1}}}}
    reordered = {"votes": {"1": {"counts": {"Anne": 1, "Kari": 2}}}}  # as PostgreSQL's jsonb returns it
    assert state_patch.diff(state_patch.prints(reordered), state_patch.prints(state), state) == []
    changed = {"votes": {"1": {"counts": {"Kari": 3, "Anne": 1}}}}
    (op,) = state_patch.diff(state_patch.prints(state), state_patch.prints(changed), changed)
    assert list(op["value"]["counts"]) == ["Kari", "Anne"]  # the candidates as the server listed them


def test_it_snapshots_values_so_later_folds_do_not_change_a_sent_patch() -> None:
    after = {"speakers": [{"name": "A"}]}
    (op,) = state_patch.diff({}, state_patch.prints(after), after)
    after["speakers"].append({"name": "B"})
    assert op["value"] == [{"name": "A"}]


def test_it_carries_whole_the_public_keys_an_unseen_event_changed() -> None:
    docs = [{"seq": 1, "stream": {"up": True}, "present": []},
            {"seq": 2, "stream": {"up": False}, "present": []},  # member-only event: the viewer at 1 or 2
            {"seq": 3, "stream": {"up": True}, "present": ["Kari"]}]  # public again, stream back up
    state = {"last_seq": 0}
    memo = None
    for i, doc in enumerate(docs, start=1):
        patches = state_patch.advance(meeting_id=1, memo=memo, member_before=state_patch.prints(state),
                                      digest=f"d{i}", state=state, public_doc=doc, public_event=i != 2)
        memo = state_patch.recall(1, f"d{i}")
    assert patches.public is not None
    # A viewer holding the document as of seq 1 (the last public event) or seq 2 (a `state` reply
    # between) folds to the same document: `stream` changed unseen, so it is carried whole.
    for held in docs[:2]:
        assert state_patch.apply(copy.deepcopy(held), patches.public) == docs[2]
    assert ("replace", "/stream") in {(op["op"], op["path"]) for op in patches.public}


def test_it_sends_the_whole_public_document_when_it_has_no_prints() -> None:
    doc = {"seq": 7, "speakers": []}
    patches = state_patch.advance(meeting_id=2, memo=None, member_before={}, digest="x", state={}, public_doc=doc,
                                  public_event=True)
    assert patches.public == [{"op": "replace", "path": "", "value": doc}]
    assert state_patch.recall(2, "x") is not None and state_patch.recall(2, "other") is None


def broadcasts(monkeypatch) -> tuple[dict[int, dict], dict[int, dict]]:
    """The messages each committed event sends to the members' and the public's groups, by seq."""
    from meetings import events

    member: dict[int, dict] = {}
    public: dict[int, dict] = {}

    def send(group: str, message: dict) -> None:
        (public if group.startswith("public-") else member)[message["event"]["seq"]] = message["event"]

    monkeypatch.setattr(events, "_send", send)
    return member, public


@pytest.mark.django_db(transaction=True)  # broadcasts happen on commit
def test_every_event_of_a_meeting_folds_the_state_before_it_into_the_state_after_it(monkeypatch) -> None:
    council = make_council()
    meeting = make_meeting(council)
    state_patch.forget()  # the first event finds no prints: the public gets the whole document
    member, public = broadcasts(monkeypatch)
    start_meeting(council, meeting)
    item = meeting.items.order_by("id").first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.members[0], meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")
    proposal = run(council.members[0], meeting, "proposal.submit", text="Utsettes")
    report_media(meeting, council.members[1], video=False)
    vote = run(council.chair, meeting, "vote.open", proposals=[proposal])
    for u in [council.chair, council.members[0], *council.members[2:]]:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    closure = run(council.chair, meeting, "vote.open", kind="closure")
    for u in [council.chair, council.members[0], *council.members[2:]]:
        run(u, meeting, "vote.cast", vote=closure, choice="for")
    run(council.chair, meeting, "vote.close", vote=closure)
    run(council.members[0], meeting, "floor.request")  # behind closed doors: not public
    run(council.chair, meeting, "doors.open")
    run(council.chair, meeting, "meeting.end")  # several events in one transaction
    from meetings.projection import replay
    from meetings.services.log import event_record, iter_events

    records = [event_record(e) for e in iter_events(meeting.id)]
    first = min(member)
    public_doc: dict = {}
    for record in records:
        if record["seq"] < first:
            continue
        patch = json.loads(json.dumps(member[record["seq"]]["state_patch"]))  # as a client gets it
        state = replay(r for r in records if r["seq"] <= record["seq"])
        assert state_patch.apply(replay(r for r in records if r["seq"] < record["seq"]), patch) == state
        if record["seq"] in public:
            public_doc = state_patch.apply(public_doc, public[record["seq"]]["state_patch"])
    final = Meeting.objects.select_related("body").get(id=meeting.id)
    assert state == final.live_state
    assert public_doc == public_state.build(final)
    assert set(public) < set(member)  # the public saw a subsequence, and folded to the same document


@pytest.mark.django_db
def test_a_rolled_back_event_leaves_no_prints_behind(monkeypatch, django_capture_on_commit_callbacks) -> None:
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    with pytest.raises(RuntimeError), transaction.atomic():
        log_append(meeting=meeting_lock(meeting.id), type="question.asked",
                   payload={"person": council.pid(council.members[0]), "name": "x", "text": "rolled back"})
        raise RuntimeError
    m = Meeting.objects.get(id=meeting.id)
    assert state_patch.recall(meeting.id, m.last_digest) is None  # the prints are of a history that never was
    before = copy.deepcopy(m.live_state)
    member, _ = broadcasts(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = log_append(meeting=meeting_lock(meeting.id), type="question.asked",
                           payload={"person": council.pid(council.members[0]), "name": "x", "text": "kept"})
    assert state_patch.apply(before, member[event.seq]["state_patch"]) == Meeting.objects.get(id=meeting.id).live_state


@pytest.mark.django_db
def test_execute_answers_the_seq_it_wrote() -> None:
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    seq = Meeting.objects.get(id=meeting.id).last_seq
    done = commands.execute(name="question.ask", user=council.members[0], meeting_id=meeting.id,
                            payload={"text": "Når?"})
    assert done.seq == seq + 1 == Meeting.objects.get(id=meeting.id).last_seq
    again = commands.execute(name="member.join", user=council.members[0], meeting_id=meeting.id, payload={})
    assert again.seq >= done.seq


def test_it_sends_a_persons_allowed_commands_only_when_they_changed() -> None:
    state: dict = {"last_seq": 1}
    first = state_patch.advance(meeting_id=3, memo=None, member_before={}, digest="a", state=state,
                                public_doc={}, public_event=False, allowed={"1": ["vote.open"], "2": []})
    # No prints before: everyone gets their list whole.
    assert first.personal == {"1": [{"op": "replace", "path": "/allowed", "value": ["vote.open"]}],
                              "2": [{"op": "replace", "path": "/allowed", "value": []}]}
    memo = state_patch.recall(3, "a")
    second = state_patch.advance(meeting_id=3, memo=memo, member_before=memo.member, digest="b", state=state,
                                 public_doc={}, public_event=False, allowed={"1": ["vote.close"], "2": []})
    assert second.personal == {"1": [{"op": "replace", "path": "/allowed", "value": ["vote.close"]}]}
    doc = {"allowed": ["vote.open"]}
    assert state_patch.apply(doc, second.personal["1"]) == {"allowed": ["vote.close"]}
