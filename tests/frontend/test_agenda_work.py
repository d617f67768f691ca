"""The clerk's agenda work from the clerk page: before the notice items are edited, moved and deleted
freely; after it each change to what the notice says is a logged, public event (a corrected title, a
new order, a postponed case, a new place) and the members are told by e-mail; once the meeting opens
the clerk page refuses in words, and the admin cannot change a noticed meeting behind the log's back.
The notices have their own Atom feed, whose entry is updated by a change."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.test import Client

from meetings import visibility
from meetings.models import AgendaItem, MeetingEvent
from tests.factories import make_council, make_meeting, run

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def council(db):
    council = make_council(seats=3, deputies=1, slug="saksliste")
    for user in [council.clerk, council.chair, *council.members, *council.deputies]:
        user.email = f"{user.username}@testvik.kommune.no"
        user.save()
    return council


def _clerk(council) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nb")
    client.force_login(council.clerk)
    return client


def _cases(meeting) -> list[str]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("order").values_list("case_number", flat=True))


def _edit(item: AgendaItem, **changes: str) -> dict[str, str]:
    fields = {"case_number": item.case_number, "title": item.title, "recommendation": item.recommendation,
              "planned_closure_ground": item.planned_closure_ground, "public_title": item.public_title, **changes}
    return {"action": "edit_item", "item": str(item.id), **{f"edit{item.id}-{k}": v for k, v in fields.items()}}


def test_before_the_notice_the_clerk_edits_moves_and_deletes_items_without_a_trace(council):
    meeting = make_meeting(council, items=3, publish=False)
    clerk, url = _clerk(council), f"/clerk/meetings/{meeting.id}/"
    first, second, third = AgendaItem.objects.filter(meeting=meeting).order_by("order")
    page = clerk.get(url).content.decode()
    assert "Rediger PS 1/26" in page and f'value="{third.id}"' in page

    clerk.post(url, _edit(first, title="Budsjett 2027", recommendation="Budsjettet vedtas."))
    first.refresh_from_db()
    assert (first.title, first.recommendation) == ("Budsjett 2027", "Budsjettet vedtas.")
    clerk.post(url, {"action": "move_down", "item": str(first.id)})
    assert _cases(meeting) == ["PS 2/26", "PS 1/26", "PS 3/26"]
    clerk.post(url, {"action": "move_up", "item": str(third.id)})
    assert _cases(meeting) == ["PS 2/26", "PS 3/26", "PS 1/26"]
    page = clerk.post(url, {"action": "remove_item", "item": str(second.id)}, follow=True).content.decode()
    assert "Saken er slettet" in page and _cases(meeting) == ["PS 3/26", "PS 1/26"]
    # A draft is the clerk's own work: nothing of it is in the public log, nobody is told.
    assert not MeetingEvent.objects.filter(meeting=meeting, type__in=["item.corrected", "agenda.reordered",
                                                                       "item.postponed"]).exists()
    assert mail.outbox == []

    # Bad input: an empty title keeps the item as it was and says why, beside the form.
    page = clerk.post(url, _edit(first, title="")).content.decode()
    first.refresh_from_db()
    assert first.title == "Budsjett 2027" and "Dette feltet er påkrevd" in page
    # Moving the first item up is refused in words.
    page = clerk.post(url, {"action": "move_up", "item": str(third.id)}).content.decode()
    assert "first or last" in page or "først eller sist" in page


def test_after_the_notice_each_change_is_logged_in_public_and_the_members_are_told(
        council, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = make_meeting(council, items=3, closure_item="11-5-3-a")
    members = sorted(u.email for u in [council.chair, *council.members])
    notice = [m for m in mail.outbox if m.subject.startswith("Innkalling")]
    assert len(notice) == 1 and sorted(notice[0].to) == members and "PS 1/26 Sak 1" in notice[0].body
    assert "Klage på vedtak" not in notice[0].body and "Unntatt sak" in notice[0].body  # by its public title
    mail.outbox.clear()
    clerk, url = _clerk(council), f"/clerk/meetings/{meeting.id}/"
    first, second, third, closed = AgendaItem.objects.filter(meeting=meeting).order_by("order")

    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(url, _edit(first, title="Budsjett 2027"))
        clerk.post(url, _edit(closed, title="Klage fra nabo Olsen"))  # the public title stays: nothing to tell
        clerk.post(url, {"action": "move_up", "item": str(third.id)})
        clerk.post(url, {"action": "remove_item", "item": str(second.id), "reason": "Saken er ikke ferdig utredet"})
        clerk.post(url, {"action": "set_location", "location": "Kommunestyresalen, rådhuset"})

    events = {e.type: e for e in MeetingEvent.objects.filter(meeting=meeting, seq__gt=2)}
    assert set(events) == {"item.corrected", "agenda.reordered", "item.postponed", "meeting.location_changed"}
    corrected = MeetingEvent.objects.filter(meeting=meeting, type="item.corrected")
    assert [e.payload["title"] for e in corrected] == ["Budsjett 2027"]
    assert events["agenda.reordered"].payload["items"] == [first.id, third.id, second.id, closed.id]
    assert events["item.postponed"].payload["reason"] == "Saken er ikke ferdig utredet"
    second.refresh_from_db()
    assert second.state == "deferred" and AgendaItem.objects.filter(id=second.id).exists()  # still on the list
    for event in events.values():  # the public sees every change to the notice
        assert visibility.event_form(event.type, event.payload, doors_closed=False) is not None

    changed = [m for m in mail.outbox if m.subject.startswith("Endret innkalling")]
    assert len(changed) == 4 and all(sorted(m.to) == members for m in changed)
    bodies = "\n".join(m.body for m in changed)
    assert "Rettet: PS 1/26 Budsjett 2027" in bodies and "Utsatt: PS 2/26" in bodies
    assert "Nytt sted: Kommunestyresalen, rådhuset" in bodies and "Klage fra nabo Olsen" not in bodies

    page = clerk.get(url).content.decode()
    assert "utsatt" in page and 'value="Kommunestyresalen, rådhuset"' in page


def test_once_the_meeting_opens_the_clerk_page_refuses_agenda_changes_in_words(council):
    meeting = make_meeting(council, items=2)
    run(council.chair, meeting, "meeting.open")
    clerk, url = _clerk(council), f"/clerk/meetings/{meeting.id}/"
    item = AgendaItem.objects.filter(meeting=meeting).first()
    page = clerk.get(url).content.decode()
    assert "Rediger PS 1/26" not in page
    page = clerk.post(url, _edit(item, title="Noe annet")).content.decode()
    item.refresh_from_db()
    assert item.title == "Sak 1" and 'class="messages"' in page
    assert not MeetingEvent.objects.filter(meeting=meeting, type="item.corrected").exists()


def test_the_admin_cannot_change_a_noticed_meeting_or_its_items(council, admin_client):
    draft = make_meeting(council, items=1, publish=False)
    noticed = make_meeting(council, items=1)
    draft_item, item = draft.items.get(), noticed.items.get()
    assert admin_client.post(f"/admin/meetings/agendaitem/{item.id}/change/",
                             {"meeting": noticed.id, "order": 1, "case_number": "PS 1/26",
                              "title": "Endret bak loggen", "state": "pending"}).status_code == 403
    assert admin_client.post(f"/admin/meetings/agendaitem/{item.id}/delete/", {"post": "yes"}).status_code == 403
    item.refresh_from_db()
    assert item.title == "Sak 1"
    page = admin_client.get(f"/admin/meetings/meeting/{noticed.id}/change/").content.decode()
    assert 'name="title"' not in page and 'name="items-0-title"' not in page
    # A draft is still the clerk's to shape, in the admin too.
    page = admin_client.get(f"/admin/meetings/meeting/{draft.id}/change/").content.decode()
    assert 'name="title"' in page and 'name="items-0-title"' in page
    assert admin_client.get(f"/admin/meetings/agendaitem/{draft_item.id}/change/").status_code == 200


def test_the_notices_feed_lists_published_notices_and_moves_an_entry_when_it_changes(council):
    make_meeting(council, items=1, publish=False)  # a draft is not public
    meeting = make_meeting(council, items=2)
    feed = Client().get("/feeds/notices.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    entries = ET.fromstring(feed.content).findall(f"{ATOM}entry")
    assert len(entries) == 1
    before = entries[0].findtext(f"{ATOM}updated")
    assert "PS 1/26 Sak 1" in entries[0].findtext(f"{ATOM}summary")
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/meetings/{meeting.id}/")

    clerk = _clerk(council)
    clerk.post(f"/clerk/meetings/{meeting.id}/", {"action": "remove_item", "item": str(meeting.items.last().id)})
    entry = ET.fromstring(Client().get("/feeds/notices.atom").content).find(f"{ATOM}entry")
    assert "(endret)" in entry.findtext(f"{ATOM}title") and "PS 2/26 Sak 2 (utsatt)" in entry.findtext(f"{ATOM}summary")
    assert entry.findtext(f"{ATOM}updated") >= before
    assert "/feeds/notices.atom" in Client().get("/").content.decode()
