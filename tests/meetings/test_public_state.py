"""The public state document over HTTP (`/public/meetings/<id>/state.json`): versioned by the log's
seq, cacheable, and never carrying member-only data or the content of a closed part."""

from __future__ import annotations

import json

import pytest

from meetings import public_state
from meetings.legal import ClosureGround
from meetings.models import Meeting
from tests import helpers
from tests.factories import make_council, make_meeting, run, start_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    # The cache is per process and keyed by (meeting id, seq); test databases reuse ids.
    public_state._cache.clear()


def url(meeting: Meeting) -> str:
    return f"/public/meetings/{meeting.id}/state.json"


def close_doors(council, meeting, voters, ground: str = ClosureGround.PRIVACY) -> None:
    helpers.close_doors(council, meeting, ground=ground, reason="opplysninger om noens helse", voters=voters)


def test_it_serves_the_document_with_the_seq_as_etag(client):
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    r = client.get(url(meeting))
    assert r.status_code == 200
    doc = r.json()
    seq = Meeting.objects.get(id=meeting.id).last_seq
    assert doc["seq"] == seq and doc["meeting"]["state"] == "in_session"
    assert r["ETag"] == f'"{meeting.id}-{seq}"'
    assert "max-age=1" in r["Cache-Control"] and "public" in r["Cache-Control"]
    assert client.get(url(meeting), HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    run(council.members[0], meeting, "question.ask", text="Når kommer sakspapirene?")
    r2 = client.get(url(meeting), HTTP_IF_NONE_MATCH=r["ETag"])
    assert r2.status_code == 200 and r2["ETag"] != r["ETag"] and r2.json()["seq"] == seq + 1


def test_it_builds_the_document_once_per_seq():
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    m = Meeting.objects.select_related("body").get(id=meeting.id)
    again = Meeting.objects.select_related("body").get(id=m.id)
    assert public_state.public_state(m) is public_state.public_state(again)


def test_it_refuses_unknown_and_draft_meetings(client):
    council = make_council()
    draft = make_meeting(council, publish=False)
    assert client.get(url(draft)).status_code == 404
    assert client.get("/public/meetings/987654/state.json").status_code == 404
    assert client.post(url(make_meeting(council))).status_code == 405


def test_it_never_shows_member_only_data_or_the_closed_part(client):
    council = make_council()
    meeting = make_meeting(council, closure_item=ClosureGround.PRIVACY)
    start_meeting(council, meeting)
    # Member-only: a member's degraded media (and so their absence from the votes below).
    run(council.members[0], meeting, "member.audio_only", on=True)
    voters = [council.chair, *council.members[1:]]
    item = meeting.items.get(case_number="PS 99/26")
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.members[1], meeting, "proposal.submit", text="Åpent forslag før lukking")
    close_doors(council, meeting, voters)
    secret = "Hemmelig: klagerens diagnose"
    run(council.members[2], meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")
    run(council.members[2], meeting, "proposal.submit", text=secret)
    closed_doc = client.get(url(meeting)).json()
    vote = run(council.chair, meeting, "vote.open")
    for u in voters:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    run(council.chair, meeting, "doors.open")
    reopened_doc = client.get(url(meeting)).json()

    assert closed_doc["doors"]["closed"] is True
    assert closed_doc["doors"]["ground"]["code"] == ClosureGround.PRIVACY
    assert closed_doc["current_item"]["title"] == "Unntatt sak"  # the public title only
    assert closed_doc["speaker"] is None and closed_doc["speakers"] == [] and closed_doc["proposals"] == []
    assert reopened_doc["doors"]["closed"] is False
    for doc in (closed_doc, reopened_doc):
        dumped = json.dumps(doc, ensure_ascii=False)
        assert secret not in dumped
        assert "Klage på vedtak" not in dumped
        assert "audio_only" not in dumped and "ballots" not in dumped and "eligible_ids" not in dumped
        assert "opplysninger om noens helse" not in dumped  # the document names the ground, not free text
    # The vote on closing was public (§ 11-5 (5)); the vote held behind closed doors is not shown live.
    assert [v["kind"] for v in reopened_doc["votes"]] == ["closure"]
    assert reopened_doc["votes"][0]["result"]["adopted"] is True


def test_it_answers_a_cached_document_with_one_small_query(client, django_assert_num_queries):
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    first = client.get(url(meeting)).json()  # builds the document (a cache miss)
    with django_assert_num_queries(1) as ctx:
        again = client.get(url(meeting))
    assert again.status_code == 200 and again.json() == first
    # The one query reads the seq, not the live state: viewers cost no JSON decoding of the state.
    assert "live_state" not in ctx.captured_queries[0]["sql"]
    doc = public_state.public_state_for(meeting.id)
    with django_assert_num_queries(1):
        assert public_state.public_state_for(meeting.id) is doc
    with django_assert_num_queries(0):
        assert public_state.public_state_for(meeting.id, seq=first["seq"])["seq"] == first["seq"]


def test_it_builds_a_new_document_after_the_next_event(client):
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    before = public_state.public_state_for(meeting.id)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    after = public_state.public_state_for(meeting.id)
    assert after["seq"] == before["seq"] + 1 and after["current_item"]["case_number"] == "PS 1/26"
    assert before["current_item"] is None


def test_it_names_the_speakers_party(client):
    council = make_council()
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    run(council.members[1], meeting, "floor.request")  # Medlem 2, Høyre
    run(council.chair, meeting, "floor.grant")
    speaker = client.get(url(meeting)).json()["speaker"]
    assert speaker["name"] == "Medlem 2" and speaker["party"] == "H"
