"""Absences and deputies: a member reports an absence (forfall) from the meeting list, the clerks get
an e-mail, the clerk page names the deputy next in the member's party's order and summons them in one
step, the deputy gets an e-mail with the room's link and can join the meeting."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from meetings.models import MeetingEvent, Person
from meetings.services import attendance
from tests.factories import make_council, make_meeting, run


@pytest.fixture
def council_meeting(db):
    council = make_council(seats=5, deputies=3, slug="forfall")  # deputies: Vara 1 (Ap), 2 (H), 3 (Ap)
    for user in [council.clerk, *council.members, *council.deputies]:
        user.email = f"{user.username}@testvik.kommune.no"
        user.save()
    return council, make_meeting(council)


def test_a_member_reports_an_absence_and_the_clerk_summons_the_next_deputy_in_one_step(
        council_meeting, django_capture_on_commit_callbacks):
    council, meeting = council_meeting
    member = Client()
    member.force_login(council.members[0])  # Medlem 1, Ap
    home = member.get("/").content.decode()
    assert f"/meetings/{meeting.id}/absence/" in home
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes once the event commits
        page = member.post(f"/meetings/{meeting.id}/absence/", {"reason": "Sykdom"}, follow=True).content.decode()
    assert 'class="messages"' in page and f"/meetings/{meeting.id}/absence/" not in page  # reported once
    event = MeetingEvent.objects.get(meeting=meeting, type="member.absent")
    assert event.payload["reason"] == "Sykdom" and event.actor.user == council.members[0]
    assert [m.to for m in mail.outbox] == [[council.clerk.email]]
    assert "Medlem 1" in mail.outbox[0].subject and "Sykdom" in mail.outbox[0].body

    clerk = Client()
    clerk.force_login(council.clerk)
    page = clerk.get(f"/clerk/meetings/{meeting.id}/").content.decode()
    assert "Vara 1" in page and "Sykdom" in page  # the first deputy of Medlem 1's party
    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(f"/clerk/meetings/{meeting.id}/", {"action": "summon_deputy",
                                                      "member": Person.objects.get(user=council.members[0]).id})
    summoned = MeetingEvent.objects.get(meeting=meeting, type="deputy.summoned")
    assert summoned.payload["name"] == "Vara 1" and summoned.payload["for_name"] == "Medlem 1"
    assert mail.outbox[-1].to == [council.deputies[0].email]
    assert f"/meetings/{meeting.id}/room/" in mail.outbox[-1].body

    # The deputy takes the seat: joins the meeting once it opens.
    run(council.chair, meeting, "meeting.open")
    attendance.member_join(user=council.deputies[0], meeting_id=meeting.id)
    meeting.refresh_from_db()
    deputy_id = str(Person.objects.get(user=council.deputies[0]).id)
    assert meeting.live_state["attendance"][deputy_id]["present"]


def test_the_next_deputy_skips_one_already_summoned_and_says_when_none_is_left(council_meeting):
    council, meeting = council_meeting
    ap_members = [council.members[0], council.members[2]]  # Medlem 1 and 3, both Ap
    for user in ap_members:
        attendance.absence_report(user=user, meeting_id=meeting.id, reason="")
    first, second = (Person.objects.get(user=u).id for u in ap_members)
    assert attendance.deputy_summon(user=council.clerk, meeting_id=meeting.id, for_member_id=first).name == "Vara 1"
    meeting.refresh_from_db()
    assert attendance.next_deputy(meeting, second).person.name == "Vara 3"
    attendance.deputy_summon(user=council.clerk, meeting_id=meeting.id, for_member_id=second)
    # A third Ap absence has no Ap deputy left: the page says so instead of offering a button.
    run(council.chair, meeting, "meeting.open")
    attendance.absence_register(user=council.clerk, meeting_id=meeting.id,
                                person_id=Person.objects.get(user=council.chair).id, reason="Inhabil i alt")
    clerk = Client()
    clerk.force_login(council.clerk)
    page = clerk.get(f"/clerk/meetings/{meeting.id}/").content.decode()
    assert page.count('value="summon_deputy"') == 0


def test_a_member_cannot_report_an_absence_twice_or_for_someone_not_seated(council_meeting):
    council, meeting = council_meeting
    attendance.absence_report(user=council.members[1], meeting_id=meeting.id, reason="Reise")
    member = Client()
    member.force_login(council.members[1])
    page = member.post(f"/meetings/{meeting.id}/absence/", {"reason": "Igjen"}, follow=True).content.decode()
    assert MeetingEvent.objects.filter(meeting=meeting, type="member.absent").count() == 1
    assert 'class="messages"' in page
    outsider = Client()
    outsider.force_login(council.clerk)  # a clerk holds no seat
    outsider.post(f"/meetings/{meeting.id}/absence/", {"reason": "x"})
    assert MeetingEvent.objects.filter(meeting=meeting, type="member.absent").count() == 1
