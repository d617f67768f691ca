"""Minutes from the log: every § 11-4 field, exempt parts redacted, identical bytes on regeneration."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from meetings.exceptions import LogTampered, PermissionDenied
from meetings.models import MeetingEvent
from minutes import demo, render, services
from minutes.models import MinutesRecord, MinutesStatus
from tests.factories import make_council


@pytest.fixture
def play(db, django_capture_on_commit_callbacks):
    """Play the demo meeting with commit callbacks run, as in production (publication reacts to them)."""
    def run(slug: str, review_hours: int = 0):
        council = make_council(seats=7, deputies=2, slug=slug)
        council.body.minutes_review_hours = review_hours
        council.body.save()
        with django_capture_on_commit_callbacks(execute=True):
            meeting = demo.play_meeting(body=council.body, clerk=council.clerk)
        return council, meeting
    return run


@pytest.fixture
def played(play):
    return play("mb")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert len(text) > 200, "the PDF has no extractable text: the leak check would prove nothing"
    return " ".join(text.split())  # a wrapped line must not hide a leaked phrase from the search


def test_it_publishes_the_minutes_when_the_meeting_ends(played):
    council, meeting = played
    record = MinutesRecord.objects.get(meeting=meeting)
    assert record.status == MinutesStatus.PUBLISHED
    published = MeetingEvent.objects.get(meeting=meeting, type="minutes.published")
    assert published.payload["covers_digest"] == MeetingEvent.objects.get(meeting=meeting, type="meeting.ended").digest


def test_minutes_have_every_field_the_law_requires(played):
    council, meeting = played
    m = services.minutes_build(meeting_id=meeting.id, public=False)
    # a) time and place, for a remote meeting under the council's decision
    assert m["meeting"]["opened"] and m["meeting"]["ended"]
    assert m["meeting"]["form"] == "remote" and m["meeting"]["remote_decision"]["ref"] == "PS 1/26"
    # b) who attended, who was absent, with the deputy and arrival/departure times
    absent = m["attendance"]["absent"]
    assert len(absent) == 1 and absent[0]["reason"] == "Sykdom" and absent[0]["deputy"]["name"].startswith("Vara")
    present = {p["name"]: p for p in m["attendance"]["present"]}
    assert any(p["substitute_for"] and p["substitute_for"]["name"] == absent[0]["name"] for p in present.values())
    assert all(p["periods"][0]["from"] and p["periods"][-1]["to"] for p in present.values())
    # c) cases handled, d) decisions, e) voting results
    items = m["agenda_items"]
    assert [i["case_number"] for i in items] == ["PS 31/26", "PS 32/26", "PS 33/26", "PS 34/26", "PS 35/26", "PS 36/26"]
    assert items[0]["decision"] == "Planstrategien vedtas med tillegg om klimatilpasning."
    assert items[0]["proposals"][0]["by"] == council.person(council.members[0]).name
    assert [s["kind"] for s in items[0]["speakers"]] == ["speech", "reply"]
    tie = items[1]["votes"][0]
    assert tie["tie"] and tie["casting_vote"] and tie["adopted"]
    assert {n["option"] for n in tie["votes"]} == {"for", "against"}
    election = items[5]["votes"][0]
    assert {c["option"]: c["value"] for c in election["counts"]}["blank"] == 1
    assert election["winner"] == "Solveig Fjell" and items[5]["decision"] == "Valgt: Solveig Fjell"
    # § 11-4 (2): the legal basis of every closure and conflict ruling
    assert items[1]["conflicts"][0]["legal_basis"] == "forvaltningsloven § 6 første ledd bokstav e"
    closure = m["closures"][0]
    assert closure["ground"] == "11-5-3-a" and "bokstav a" in closure["ground_text"] and closure["to"]
    assert [s["ground"] for s in items[3]["closed_sessions"]] == ["11-5-3-a"]
    closure_vote = items[3]["votes"][0]
    assert closure_vote["kind"] == "closure" and closure_vote["adopted"]
    # periods of degraded media and of stream outage, and the log digest
    assert [p["state"] for p in m["media_periods"]] == ["audio_only"]
    assert m["stream_outages"][0]["reason"] == "Koderen stoppet" and m["stream_outages"][0]["to"]
    assert m["questions"][0]["text"].startswith("Når blir")
    ended = MeetingEvent.objects.get(meeting=meeting, type="meeting.ended")
    assert m["log"] == {"events": ended.seq, "last_seq": ended.seq, "last_digest": ended.digest}


def test_the_public_version_leaks_nothing_from_the_closed_item(played):
    council, meeting = played
    c = Client()
    html = c.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    body = c.get(f"/meetings/{meeting.id}/minutes.json").content.decode()
    pdf = pdf_text(c.get(f"/meetings/{meeting.id}/minutes.pdf").content)
    api_response = c.get(f"/api/meetings/{meeting.id}/minutes/")
    assert api_response.status_code == 200  # a 404 would make the leak check below vacuous
    api = api_response.content.decode()
    for text in (html, body, pdf, api):
        assert "Klage på avslag om skjenkebevilling" not in text  # the real title of the closed item
        assert "helsediagnose" not in text  # the proposal made behind closed doors
        assert "Sykdom" not in text  # the reason for an absence
    assert "Klage i skjenkesak (unntatt offentlighet)" in html
    assert "bokstav a" in html and "Klage i skjenkesak" in pdf
    data = json.loads(body)
    closed = data["agenda_items"][3]
    assert closed["decision"] is None and closed["decision_redacted"] and closed["proposals"] == []
    assert closed["votes"][1]["redacted"] and "votes" not in closed["votes"][1]  # the vote behind closed doors
    internal = Client()
    internal.force_login(council.members[0])
    full = internal.get(f"/meetings/{meeting.id}/minutes.json?version=internal").json()
    assert full["agenda_items"][3]["proposals"][0]["text"] == demo.SECRET_PROPOSAL
    assert Client().get(f"/meetings/{meeting.id}/minutes.json?version=internal").json()["visibility"] == "public"


def test_regenerating_gives_identical_bytes(played):
    council, meeting = played
    for public in (True, False):
        for lang in ("nb", "en"):
            a = services.minutes_build(meeting_id=meeting.id, public=public, lang=lang)
            b = services.minutes_build(meeting_id=meeting.id, public=public, lang=lang)
            assert render.to_json(a) == render.to_json(b)
            assert render.to_html(a, meeting_id=meeting.id, published=True) == render.to_html(
                b, meeting_id=meeting.id, published=True)
            assert render.to_pdf(a) == render.to_pdf(b)


def test_english_labels_are_available(played):
    council, meeting = played
    html = Client().get(f"/meetings/{meeting.id}/minutes/?lang=en").content.decode()
    assert 'lang="en"' in html and "Cases handled" in html and "Legal basis" in html


def test_corrections_are_added_and_the_original_stays(played):
    council, meeting = played
    before = services.minutes_build(meeting_id=meeting.id, public=True)
    services.minutes_correct(user=council.clerk, meeting_id=meeting.id, section="PS 33/26",
                             text="Riktig beløp er 250 000 kr, ikke 200 000 kr.")
    after = services.minutes_build(meeting_id=meeting.id, public=True)
    assert after["corrections"][0]["text"].startswith("Riktig beløp")
    after.pop("corrections")
    before.pop("corrections")
    assert after == before  # the original text is unchanged
    html = Client().get(f"/meetings/{meeting.id}/minutes/").content.decode()
    assert "Riktig beløp" in html
    with pytest.raises(PermissionDenied):  # only the clerk corrects the minutes
        services.minutes_correct(user=council.members[0], meeting_id=meeting.id, text="x")


def test_a_tampered_log_is_detected_and_publication_refuses(play):
    council, meeting = play("tamper", review_hours=24)
    assert MinutesRecord.objects.get(meeting=meeting).status == MinutesStatus.REVIEW
    assert Client().get(f"/meetings/{meeting.id}/minutes/").status_code == 404
    cast = MeetingEvent.objects.filter(meeting=meeting, type="vote.cast").first()
    MeetingEvent.objects.filter(pk=cast.pk).update(payload={**cast.payload, "choice": "against"})
    with pytest.raises(LogTampered, match="publication refused"):
        services.minutes_publish(meeting_id=meeting.id, user=council.clerk)
    record = MinutesRecord.objects.get(meeting=meeting)
    assert record.status == MinutesStatus.REFUSED and "does not match" in record.problem


def test_review_window_then_automatic_publication(play):
    import datetime as dt

    from django.utils import timezone

    council, meeting = play("review", review_hours=2)
    assert services.publish_due() == []
    assert services.publish_due(timezone.now() + dt.timedelta(hours=3)) == [meeting.id]
    assert MinutesRecord.objects.get(meeting=meeting).status == MinutesStatus.PUBLISHED


def test_feeds_and_archive(played):
    council, meeting = played
    c = Client()
    atom = c.get("/feeds/minutes.atom")
    assert atom.status_code == 200 and b"<feed" in atom.content
    assert f"/meetings/{meeting.id}/minutes/".encode() in atom.content
    from xml.dom.minidom import parseString
    parseString(atom.content)
    ics = c.get("/feeds/meetings.ics").content.decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.rstrip().endswith("END:VCALENDAR")
    assert f"UID:meeting-{meeting.id}@" in ics
    archive = c.get("/archive/").content.decode()
    assert f"/meetings/{meeting.id}/minutes/" in archive
