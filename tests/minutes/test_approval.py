"""Approval of the minutes on top of their automatic publication: by two protocol signatories chosen in
the meeting, who each sign the published minutes, or at the body's next meeting, recorded by the clerk.
Each step is a logged event; the minutes (HTML and JSON) and the minutes feed say where it stands."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from meetings.models import MeetingEvent, Person
from meetings.services import agenda, meetings
from tests.factories import make_council, make_meeting, run, start_meeting

ATOM = "{http://www.w3.org/2005/Atom}"


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nb")
    client.force_login(user)
    return client


def _approval_line(meeting) -> str:
    page = Client(HTTP_ACCEPT_LANGUAGE="nb").get(f"/meetings/{meeting.id}/minutes/").content.decode()
    start = page.index('id="approval"')
    return page[start:page.index("</p>", start)]


def _feed_title(meeting) -> str:
    for entry in ET.fromstring(Client().get("/feeds/minutes.atom").content).findall(f"{ATOM}entry"):
        if entry.find(f"{ATOM}link").get("href").endswith(f"/meetings/{meeting.id}/minutes/"):
            return entry.findtext(f"{ATOM}title")
    raise AssertionError("the minutes are not in the feed")


@pytest.fixture
def signing_council(db):
    council = make_council(seats=4, slug="signatur")
    council.body.minutes_approval = "signatories"
    council.body.save()
    return council


def test_two_signatories_chosen_in_the_meeting_sign_the_published_minutes_and_approve_them(
        signing_council, django_capture_on_commit_callbacks):
    council = signing_council
    first, second, third = council.members[:3]
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    clerk = _client(council.clerk)
    url = f"/clerk/meetings/{meeting.id}/"
    ids = [Person.objects.get(user=u).id for u in (first, second)]

    # Bad input is refused in words and records nothing: the same member twice.
    page = clerk.post(url, {"action": "choose_signatories", "signatory1": ids[0], "signatory2": ids[0]},
                      follow=True).content.decode()
    assert "velg to ulike medlemmer" in page
    clerk.post(url, {"action": "choose_signatories", "signatory1": ids[0], "signatory2": ids[1]})
    chosen = MeetingEvent.objects.get(meeting=meeting, type="minutes.signatories_chosen")
    assert chosen.payload["persons"] == ids

    with django_capture_on_commit_callbacks(execute=True):
        run(council.chair, meeting, "meeting.end")  # published at once (no review window)
    line = _approval_line(meeting)
    assert "Ikke godkjent ennå" in line and "Medlem 1 (ikke underskrevet ennå)" in line
    assert "(ikke godkjent ennå)" in _feed_title(meeting)

    # A member who was not chosen has no button, and a signature from them is refused.
    outsider = _client(third)
    assert "/minutes/sign/" not in outsider.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    page = outsider.post(f"/meetings/{meeting.id}/minutes/sign/", follow=True).content.decode()
    assert "bare de to medlemmene som ble valgt i møtet" in page

    signer = _client(first)
    assert "/minutes/sign/" in signer.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    signer.post(f"/meetings/{meeting.id}/minutes/sign/")
    page = signer.post(f"/meetings/{meeting.id}/minutes/sign/", follow=True).content.decode()
    assert "du har allerede underskrevet" in page  # once only
    assert "Ikke godkjent ennå" in _approval_line(meeting)
    _client(second).post(f"/meetings/{meeting.id}/minutes/sign/")

    line = _approval_line(meeting)
    assert "Godkjent: underskrevet av protokollunderskriverne" in line and "ikke underskrevet" not in line
    assert [e.type for e in MeetingEvent.objects.filter(meeting=meeting, type__startswith="minutes.s")
            .order_by("seq")] == ["minutes.signatories_chosen", "minutes.signed", "minutes.signed"]
    approved = MeetingEvent.objects.get(meeting=meeting, type="minutes.approved")
    assert approved.payload == {"method": "signatories", "by": ["Medlem 1", "Medlem 2"]}
    data = Client().get(f"/meetings/{meeting.id}/minutes.json").json()
    assert data["approval"]["approved"] and [s["name"] for s in data["approval"]["signatories"]] == [
        "Medlem 1", "Medlem 2"]
    assert "(godkjent)" in _feed_title(meeting)
    english = Client().get(f"/meetings/{meeting.id}/minutes/?lang=en").content.decode()
    assert "Approved: signed by the protocol signatories" in english


def test_the_body_approves_the_minutes_at_its_next_meeting_as_the_clerk_records(db, django_capture_on_commit_callbacks):
    council = make_council(seats=3, slug="nestemote")
    council.body.minutes_approval = "next_meeting"
    council.body.save()
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    with django_capture_on_commit_callbacks(execute=True):
        run(council.chair, meeting, "meeting.end")
    assert "skal godkjennes i organets neste møte" in _approval_line(meeting)
    clerk, url = _client(council.clerk), f"/clerk/meetings/{meeting.id}/"
    assert 'name="at_meeting"' not in clerk.get(url).content.decode()  # no later meeting held yet

    later = meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="Neste møte",
                                    scheduled_start=timezone.now() + timezone.timedelta(days=14))
    agenda.item_add(user=council.clerk, meeting_id=later.id, case_number="PS 10/26", title="Godkjenning av protokoll")
    meetings.meeting_publish_notice(user=council.clerk, meeting_id=later.id)
    # A meeting not yet held cannot have approved anything.
    page = clerk.post(url, {"action": "approve_minutes", "at_meeting": later.id}, follow=True).content.decode()
    assert "velg et senere møte i samme organ som er holdt" in page
    run(council.chair, later, "meeting.open")
    assert f'<option value="{later.id}">' in clerk.get(url).content.decode()
    clerk.post(url, {"action": "approve_minutes", "at_meeting": later.id, "case_number": "PS 10/26"})

    approved = MeetingEvent.objects.get(meeting=meeting, type="minutes.approved")
    assert approved.payload["at_meeting"] == later.id and approved.payload["case_number"] == "PS 10/26"
    line = _approval_line(meeting)
    assert "Godkjent i møtet Neste møte" in line and "sak PS 10/26" in line
    page = clerk.post(url, {"action": "approve_minutes", "at_meeting": later.id}, follow=True).content.decode()
    assert "allerede godkjent" in page or 'name="at_meeting"' not in page
    assert MeetingEvent.objects.filter(meeting=meeting, type="minutes.approved").count() == 1


def test_minutes_of_a_body_without_an_approval_step_say_nothing_of_one(db, django_capture_on_commit_callbacks):
    council = make_council(seats=3, slug="utengodkj")
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    with django_capture_on_commit_callbacks(execute=True):
        run(council.chair, meeting, "meeting.end")
    page = Client().get(f"/meetings/{meeting.id}/minutes/").content.decode()
    assert 'id="approval"' not in page and "godkjent" not in _feed_title(meeting)
    page = _client(council.clerk).post(f"/clerk/meetings/{meeting.id}/", {
        "action": "approve_minutes", "at_meeting": meeting.id}, follow=True).content.decode()
    assert "organets reglement godkjenner ikke protokollen på denne måten" in page


def test_the_feeds_read_the_log_once_for_all_entries_not_once_per_entry(
        signing_council, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    council = signing_council
    for _ in range(3):
        meeting = make_meeting(council, items=2)
        start_meeting(council, meeting)
        with django_capture_on_commit_callbacks(execute=True):
            run(council.chair, meeting, "meeting.end")
    with django_assert_max_num_queries(6):  # records, meetings, approval events (+ session/locale)
        minutes = Client().get("/feeds/minutes.atom")
    assert minutes.content.count(b"<entry>") == 3 and b"ikke godkjent" in minutes.content
    with django_assert_max_num_queries(6):  # meetings, their changes, their items
        notices = Client().get("/feeds/notices.atom")
    assert notices.content.count(b"<entry>") >= 3
