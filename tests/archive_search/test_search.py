"""The index and the search on the engine the suite runs on (SQLite FTS5, or PostgreSQL's
norwegian configuration in the PostgreSQL pass): what is found, where each hit links, and what is
never found (a closed part, a meeting that is not public)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from archive_search.models import Document, Kind
from archive_search.query import parse
from archive_search.selectors import search_hits
from archive_search.services import CUE_WORDS, search_reindex_meeting
from captions.models import CaptionJob
from meetings.models import Meeting
from minutes import services as minutes_services
from tests.archive_search.conftest import with_cues, with_recording
from tests.factories import live, make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors

pytestmark = pytest.mark.django_db

OPEN_DECISION = "Innstilling i sak 1 vedtas."
OPEN_PROPOSAL = "Tilleggsforslag om gangveg langs fjorden"
CLOSED_PROPOSAL = "Tilleggsforslag med opplysninger om en navngitt ansatt"
CLOSED_DECISION = "Klageren får medhold fordi hun har en kronisk sykdom"


def found(q: str) -> list[Document]:
    return [hit.document for hit in search_hits(query=parse(q))[0:100]]


def test_it_finds_a_spoken_word_and_links_to_its_moment(recorded):
    [hit] = found("schools")
    assert hit.kind == Kind.CUE and hit.label == "Medlem 1" and hit.seconds == 65
    assert hit.url == f"/meetings/{recorded.id}/?t=65"


def test_it_links_a_word_late_in_a_long_speech_near_where_it_is_said(recorded, django_capture_on_commit_callbacks):
    # A two-minute speech of 48 words at an even pace: a word among the last 16 is said after 80 s.
    words = [f"ord{i}" for i in range(3 * CUE_WORDS - 1)] + ["harbour"]
    CaptionJob.objects.filter(meeting=recorded).delete()
    with_cues(recorded, [("Medlem 1", 100.0, 220.0, " ".join(words))], django_capture_on_commit_callbacks)
    [hit] = found("harbour")
    assert hit.seconds == 180 and hit.url.endswith("?t=180")
    assert [d.seconds for d in found("ord0")] == [100]  # the first piece starts at the speech's start
    assert Document.objects.filter(meeting=recorded).count() == 3


def test_the_norwegian_letters_are_letters_of_their_own(recorded):
    assert [d.label for d in found("får")] == ["Medlem 2"]
    assert [d.label for d in found("ÅLESUND")] == ["Medlem 2"]  # case folded beyond ASCII
    assert found("far") == [] and found("alesund") == []


def test_it_finds_other_forms_of_a_word(recorded):
    # PostgreSQL stems ("skolen" and "skolene" are one word); SQLite matches the words a word begins.
    assert [d.label for d in found("skole")] == ["Medlem 2"]
    if connection.vendor == "postgresql":
        assert [d.label for d in found("skolen")] == ["Medlem 2"]


def test_it_highlights_the_match_in_escaped_html(recorded, django_capture_on_commit_callbacks):
    CaptionJob.objects.filter(meeting=recorded).delete()
    with_cues(recorded, [("Medlem 1", 1.0, 5.0, 'the <script>alert("x")</script> budget & more')],
              django_capture_on_commit_callbacks)
    [hit] = search_hits(query=parse("budget"))[0:10]
    assert "<mark>budget</mark>" in hit.snippet
    assert "<script" not in hit.snippet and "&amp;" in hit.snippet


@pytest.mark.parametrize("raw", ['"', '""', "NEAR(", "NEAR(schools money, 2)", "schools*", "-", "-schools schools",
                                 "(((schools", "schools)", "'; DROP TABLE archive_search_document; --", "\x00schools",
                                 "schools OR money", "NOT schools", "^schools", "text:schools", "{text}: schools",
                                 "x" * 10_000, "schools " * 2000, "😀 schools"])
def test_hostile_queries_never_fail(recorded, raw):
    assert Client().get("/archive/search/", {"q": raw}).status_code == 200
    assert Client().get("/api/search/", {"q": raw}).status_code in (200, 400)


def test_text_that_is_not_utf_8_never_fails(recorded):
    for query in ("q=%ED%A0%80", "q=%FF%FE", "q=%00", "q=a&q=b", "page=-1&q=schools", "page=x&q=schools"):
        assert Client().get("/archive/search/?" + query).status_code == 200, query
        assert Client().get("/api/search/?" + query).status_code in (200, 400), query


def test_an_excluded_word_leaves_the_hit_out(recorded):
    assert len(found("schools money")) == 1 and found("schools -money") == []


def test_a_meeting_that_is_not_public_is_never_found(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.LIVESTREAM_ROOT = tmp_path
    draft = make_meeting(make_council(seats=3, slug="srchd"), items=1, publish=False)
    with_recording(draft)
    with_cues(draft, [("Medlem 1", 1.0, 5.0, "a secret draft about the harbour")], django_capture_on_commit_callbacks)
    assert found("harbour") == [] and not Document.objects.filter(meeting=draft).exists()
    # Even a row put there by hand is not found: the search asks the visibility policy too.
    Document.objects.create(meeting=draft, kind=Kind.CUE, position=0, text="harbour", url="/x/")
    assert found("harbour") == []


def _vote_all(council, meeting, vote: int, choice: str = "for") -> None:
    for pid in live(meeting)["votes"][str(vote)]["eligible"]:
        user = next(u for u in [council.chair, *council.members] if str(council.pid(u)) == pid)
        run(user, meeting, "vote.cast", vote=vote, choice=choice)


@pytest.fixture
def minuted(db, django_capture_on_commit_callbacks):
    """Item 1: an open proposal and decision, then a proposal behind closed doors. Item 2: its
    decision voted behind closed doors. Ended, the minutes published at once (the hook indexes them)."""
    council = make_council(seats=5, slug="srchm")
    m = make_meeting(council, items=2)
    items = list(m.items.order_by("order"))
    chair, m1, m2 = council.chair, council.members[0], council.members[1]
    with django_capture_on_commit_callbacks(execute=True):
        start_meeting(council, m)
        run(chair, m, "item.open", item_id=items[0].id)
        run(m1, m, "floor.request")
        run(chair, m, "floor.grant")
        run(m1, m, "proposal.submit", text=OPEN_PROPOSAL)
        run(chair, m, "floor.end")
        vote = run(chair, m, "vote.open", title="Innstillingen")
        _vote_all(council, m, vote)
        run(chair, m, "vote.close", vote=vote)
        close_doors(council, m, reason="Personopplysninger")
        run(m2, m, "floor.request")
        run(chair, m, "floor.grant")
        run(m2, m, "proposal.submit", text=CLOSED_PROPOSAL)
        run(chair, m, "floor.end")
        run(chair, m, "doors.open", reason="Ferdig")
        run(chair, m, "item.close", item_id=items[0].id)
        run(chair, m, "item.open", item_id=items[1].id)
        close_doors(council, m, reason="Personopplysninger")
        number = run(m2, m, "proposal.submit", text=CLOSED_DECISION)
        vote = run(chair, m, "vote.open", proposals=[number], title="Forslag i lukket møte")
        _vote_all(council, m, vote)
        run(chair, m, "vote.close", vote=vote)
        run(chair, m, "doors.open", reason="Ferdig")
        run(chair, m, "item.close", item_id=items[1].id)
        run(chair, m, "meeting.end")
    return council, Meeting.objects.get(id=m.id)


def test_it_finds_the_published_minutes_at_their_place(minuted):
    _council, m = minuted
    html = Client().get(f"/meetings/{m.id}/minutes/").content.decode()
    kinds = {}
    for q in ("gangveg fjorden", '"Innstilling i sak 1 vedtas"', "PS 1/26 Sak 1"):
        [hit] = [d for d in found(q) if d.meeting_id == m.id]
        kinds[hit.kind] = hit.url
        anchor = hit.url.split("#", 1)[1]
        assert hit.url.startswith(f"/meetings/{m.id}/minutes/#") and f'id="{anchor}"' in html, (q, hit.url)
    assert set(kinds) == {Kind.PROPOSAL, Kind.DECISION, Kind.ITEM}


def test_it_never_finds_what_was_said_or_decided_behind_closed_doors(minuted):
    _council, m = minuted
    assert found("navngitt ansatt") == [] and found("kronisk sykdom") == []
    internal = minutes_services.minutes_build(meeting_id=m.id, public=False)
    assert CLOSED_PROPOSAL in str(internal)  # it is in the log: its absence above is the policy's
    assert not Document.objects.filter(text__icontains="kronisk").exists()
    # The item handled behind closed doors is found by its public title, as the minutes show it.
    assert [d.kind for d in found("Sak 2")] == [Kind.ITEM]


def test_a_decision_the_clerk_releases_is_found_after_the_correction(minuted, django_capture_on_commit_callbacks):
    council, m = minuted
    [closed] = minutes_services.releasable_decisions(meeting_id=m.id)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_services.minutes_release_decision(user=council.clerk, meeting_id=m.id, vote=closed["vote"],
                                                  reason="Vedtaket selv er ikke taushetsbelagt")
    [hit] = found("kronisk sykdom")
    assert hit.kind == Kind.DECISION and hit.url.endswith("#decision-item" + str(m.items.order_by("order")[1].id))
    assert found("navngitt ansatt") == []  # the closed debate's proposal stays out


def test_minutes_under_review_are_not_found_until_published(db, django_capture_on_commit_callbacks):
    council = make_council(seats=3, slug="srchr")
    council.body.minutes_review_hours = 48
    council.body.save()
    m = make_meeting(council, items=1)
    with django_capture_on_commit_callbacks(execute=True):
        start_meeting(council, m)
        run(council.chair, m, "item.open", item_id=m.items.first().id)
        run(council.chair, m, "item.close", item_id=m.items.first().id)
        run(council.chair, m, "meeting.end")
    assert found("Sak 1") == []
    with django_capture_on_commit_callbacks(execute=True):
        minutes_services.minutes_publish(meeting_id=m.id)
    assert [d.kind for d in found("Sak 1")] == [Kind.ITEM]


def test_the_command_rebuilds_the_index(recorded):
    Document.objects.all().delete()
    assert found("schools") == []
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "search documents" in out.getvalue() and len(found("schools")) == 1
    call_command("search_reindex", str(recorded.id), stdout=out)
    assert search_reindex_meeting(meeting_id=recorded.id) == 2 and len(found("schools")) == 1


def test_it_ranks_and_pages_the_hits(recorded, django_capture_on_commit_callbacks):
    CaptionJob.objects.filter(meeting=recorded).delete()
    cues = [("Medlem 1", float(i * 10), float(i * 10 + 5), f"budget number {i}") for i in range(24)]
    cues.append(("Medlem 2", 300.0, 305.0, "budget budget budget budget"))
    with_cues(recorded, cues, django_capture_on_commit_callbacks)
    hits = search_hits(query=parse("budget"))
    assert hits.count() == 25
    assert hits[0:1][0].document.label == "Medlem 2"  # the most matches first
    assert len(hits[20:40]) == 5
    assert {h.document.seconds for h in hits[0:25]} == {*(i * 10 for i in range(24)), 300}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_postgresql_answers_from_the_gin_index(recorded):
    from archive_search.selectors import _pg_matches

    sql, params = _pg_matches(parse("schools")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "archive_search_text_gin" in plan, plan


def test_a_page_of_hits_takes_the_same_few_queries_however_many_there_are(recorded, django_capture_on_commit_callbacks,
                                                                           django_assert_num_queries):
    CaptionJob.objects.filter(meeting=recorded).delete()
    with_cues(recorded, [("Medlem 1", float(i), float(i + 1), f"budget {i}") for i in range(30)],
              django_capture_on_commit_callbacks)
    hits, body = search_hits(query=parse("budget")), recorded.body.name
    # The count, then a page twice (SQLite: the FTS5 page of ids and snippets, then its rows with their meetings).
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 5):
        assert hits.count() == 30 and len(hits[0:20]) == 20
        assert {hit.document.meeting.body.name for hit in hits[0:20]} == {body}
