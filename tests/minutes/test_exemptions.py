"""§ 11-4 (2) and § 11-7 (4) in the minutes: a personal exemption (fritak) and an exemption profile
appear with their legal basis; the published content digest is the digest of a regeneration."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.test import Client
from django.utils import timezone

from meetings.models import ExemptionProfile, MeetingEvent
from meetings.services import meetings as meeting_services
from minutes import services
from minutes.models import MinutesRecord, MinutesStatus
from tests.factories import live, make_council, make_meeting, run, start_meeting

FRITAK_BASIS = "kommuneloven § 11-11 (fritak av personlige grunner)"
INSTRUMENT = "FOR-2026-11-01-999"


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # the PDF wraps lines where the HTML does not


@pytest.fixture
def meeting(db, django_capture_on_commit_callbacks):
    council = make_council(seats=5, slug="fri")
    today = timezone.localdate()
    profile = ExemptionProfile.objects.create(
        instrument=INSTRUMENT, title="Midlertidig forskrift om fjernmøter (test)", enabled=True,
        valid_from=today - dt.timedelta(days=30), valid_to=today + dt.timedelta(days=30), allows_audio_only=True)
    m = make_meeting(council, items=1)
    item = m.items.get()
    chair, m1 = council.chair, council.members[0]
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_apply_exemption(user=council.clerk, meeting_id=m.id, profile_id=profile.id)
        start_meeting(council, m)
        run(chair, m, "meeting.set_mode", mode="audio_only", reason="Videotjenesten er nede")
        run(chair, m, "item.open", item_id=item.id)
        run(m1, m, "conflict.declare", item_id=item.id, kind="personal_exemption", reason="Dødsfall i familien")
        run(chair, m, "conflict.rule", item_id=item.id, person_id=council.pid(m1), recused=True,
            kind="personal_exemption", legal_basis=FRITAK_BASIS)
        vote = run(chair, m, "vote.open", title="Innstillingen")
        for pid in live(m)["votes"][str(vote)]["eligible"]:
            user = next(u for u in [chair, *council.members] if str(council.pid(u)) == pid)
            run(user, m, "vote.cast", vote=vote, choice="for")
        run(chair, m, "vote.close", vote=vote)
        run(chair, m, "item.close", item_id=item.id)
        run(chair, m, "meeting.end")
    return council, m


def test_it_minutes_a_personal_exemption_and_the_exemption_profile_with_their_legal_basis(meeting):
    council, m = meeting
    c = Client()
    data = c.get(f"/meetings/{m.id}/minutes.json").json()
    [ruling] = data["agenda_items"][0]["conflicts"]
    assert ruling["kind"] == "personal_exemption" and ruling["recused"] and ruling["legal_basis"] == FRITAK_BASIS
    assert ruling["person_id"] == f"person:{council.pid(council.members[0])}"
    assert [e["kind"] for e in data["exemptions"]] == ["profile", "mode"]
    assert data["exemptions"][0]["instrument"] == INSTRUMENT and data["exemptions"][1]["instrument"] == INSTRUMENT
    html = c.get(f"/meetings/{m.id}/minutes/").content.decode()
    pdf = pdf_text(c.get(f"/meetings/{m.id}/minutes.pdf").content)
    for text in (html, pdf):
        assert "Fritak av personlige grunner (§ 11-11)" in text and FRITAK_BASIS in text
        assert INSTRUMENT in text and "Møte med bare lyd" in text
        assert "Dødsfall i familien" not in text  # the member's reason is not part of the ruling
    english = c.get(f"/meetings/{m.id}/minutes/?lang=en").content.decode()
    assert "Personal exemption (§ 11-11)" in english and "Audio-only meeting" in english


def test_it_publishes_a_content_digest_that_matches_a_regeneration(meeting):
    council, m = meeting
    record = MinutesRecord.objects.get(meeting=m)
    assert record.status == MinutesStatus.PUBLISHED
    published = MeetingEvent.objects.get(meeting=m, type="minutes.published").payload
    regenerated = hashlib.sha256(services.canonical(services.minutes_build(meeting_id=m.id, public=True))).hexdigest()
    assert record.content_digest == published["content_digest"] == regenerated
    services.minutes_correct(user=council.clerk, meeting_id=m.id, text="Skrivefeil i sak 1 rettet.")
    corrected = hashlib.sha256(services.canonical(services.minutes_build(meeting_id=m.id, public=True))).hexdigest()
    assert corrected != regenerated  # a correction is visible in the content, never silent
