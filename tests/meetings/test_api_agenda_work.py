"""The clerk's agenda work and the approval of the minutes through the documented REST API: the same
services as the clerk page, the same refusals with stable codes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from meetings.models import AgendaItem, MeetingEvent, Person
from tests.factories import make_council, make_meeting, run, start_meeting


@pytest.fixture
def council(db):
    return make_council(seats=3, slug="apisak")


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_clerk_edits_moves_and_removes_items_and_each_change_after_the_notice_is_logged(council):
    draft = make_meeting(council, items=2, publish=False)
    clerk = _as(council.clerk)
    first, second = AgendaItem.objects.filter(meeting=draft).order_by("order")
    r = clerk.patch(f"/api/items/{first.id}/", {"title": "Budsjett 2027"}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "Budsjett 2027" and r.json()["case_number"] == "PS 1/26"
    assert clerk.post(f"/api/items/{first.id}/move/", {"by": 1}, format="json").status_code == 200
    assert list(draft.items.order_by("order").values_list("id", flat=True)) == [second.id, first.id]
    assert clerk.delete(f"/api/items/{second.id}/").status_code == 204
    assert not AgendaItem.objects.filter(id=second.id).exists()
    assert not MeetingEvent.objects.filter(meeting=draft, type__in=["item.corrected", "agenda.reordered"]).exists()

    noticed = make_meeting(council, items=2)
    first, second = AgendaItem.objects.filter(meeting=noticed).order_by("order")
    assert clerk.patch(f"/api/items/{first.id}/", {"case_number": "PS 11/26"}, format="json").status_code == 200
    assert clerk.post(f"/api/items/{second.id}/move/", {"by": -1}, format="json").status_code == 200
    r = clerk.delete(f"/api/items/{first.id}/", {"reason": "Ikke ferdig utredet"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "deferred"
    r = clerk.post(f"/api/meetings/{noticed.id}/location/", {"location": "Rådhuset"}, format="json")
    assert r.status_code == 200 and r.json()["location"] == "Rådhuset"
    kinds = list(MeetingEvent.objects.filter(meeting=noticed, seq__gt=2).order_by("seq").values_list("type", flat=True))
    assert kinds == ["item.corrected", "agenda.reordered", "item.postponed", "meeting.location_changed"]
    corrected = MeetingEvent.objects.get(meeting=noticed, type="item.corrected").payload
    assert corrected["case_number"] == "PS 11/26" and corrected["changed"] == ["case_number"]
    # Anyone may read the public log of the change.
    events = APIClient().get(f"/api/meetings/{noticed.id}/events/").json()["results"]
    assert "item.postponed" in [e["type"] for e in events]


def test_agenda_work_is_refused_with_stable_codes(council):
    meeting = make_meeting(council, items=2)
    item = meeting.items.order_by("order").first()
    member = _as(council.members[0])
    r = member.patch(f"/api/items/{item.id}/", {"title": "Kapret"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    clerk = _as(council.clerk)
    r = clerk.post(f"/api/items/{item.id}/move/", {"by": 2}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    r = clerk.post(f"/api/items/{item.id}/move/", {"by": -1}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_move"
    r = clerk.patch(f"/api/items/{item.id}/", {"title": ""}, format="json")
    assert r.status_code == 400
    assert clerk.patch("/api/items/999999/", {"title": "x"}, format="json").status_code == 404
    r = clerk.patch(f"/api/items/{item.id}/", {"title": "x", "owner": "me"}, format="json")
    assert r.status_code == 400  # unknown fields are refused, not ignored
    run(council.chair, meeting, "meeting.open")
    r = clerk.delete(f"/api/items/{item.id}/")
    assert r.status_code == 422 and r.json()["error"]["code"] == "agenda_in_meeting"
    item.refresh_from_db()
    assert item.title == "Sak 1" and item.state == "pending"


def test_the_minutes_are_approved_by_signatories_through_the_api(council, django_capture_on_commit_callbacks):
    council.body.minutes_approval = "signatories"
    council.body.save()
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    first, second = council.members[:2]
    ids = [Person.objects.get(user=u).id for u in (first, second)]
    clerk = _as(council.clerk)
    r = clerk.post(f"/api/meetings/{meeting.id}/minutes/signatories/", {"persons": [ids[0]]}, format="json")
    assert r.status_code == 400
    assert clerk.post(f"/api/meetings/{meeting.id}/minutes/signatories/", {"persons": ids},
                      format="json").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        run(council.chair, meeting, "meeting.end")
    r = _as(council.chair).post(f"/api/meetings/{meeting.id}/minutes/sign/")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_signatory"
    assert _as(first).post(f"/api/meetings/{meeting.id}/minutes/sign/").json()["approved"] is False
    assert _as(second).post(f"/api/meetings/{meeting.id}/minutes/sign/").json()["approved"] is True
    public = APIClient().get(f"/api/meetings/{meeting.id}/minutes/approval/").json()
    assert public["method"] == "signatories" and all(s["signed_at"] for s in public["signatories"])
    r = clerk.post(f"/api/meetings/{meeting.id}/minutes/approve/", {"at_meeting": meeting.id}, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "approval_method"
