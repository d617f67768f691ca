"""The Django admin writes rows directly, so its forms must refuse what the services refuse."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from django.utils import timezone

from meetings.legal import ClosureGround
from meetings.models import AgendaItem, ExemptionProfile, Meeting
from tests.factories import make_meeting


class FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (the form with id *_form)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[a["name"]] = a.get("value", "on")
        elif tag == "select":
            self.select = a["name"]
            self.data.setdefault(a["name"], "")
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.data[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea] += data


def form_of(admin_client, url: str) -> dict[str, str]:
    r = admin_client.get(url)
    assert r.status_code == 200
    parser = FormFields()
    parser.feed(r.content.decode())
    # Django renders a leading newline inside <textarea> that browsers drop.
    return {k: v[1:] if v.startswith("\n") else v for k, v in parser.data.items()}


def refused(response, text: str) -> bool:
    return response.status_code == 200 and text in response.content.decode()


def profile(**kwargs) -> ExemptionProfile:
    today = timezone.localdate()
    fields = {"instrument": "FOR-2020-03-13-277", "title": "Midlertidig forskrift", "enabled": True,
              "valid_from": today - dt.timedelta(days=30), "valid_to": today + dt.timedelta(days=30),
              "allows_closed_11_5_2_remote": True, **kwargs}
    return ExemptionProfile.objects.create(**fields)


def test_it_refuses_a_mandatory_closure_ground_on_a_remote_meetings_item(admin_client, council):
    meeting = make_meeting(council, publish=False)
    item = meeting.items.first()
    url = f"/admin/meetings/agendaitem/{item.id}/change/"
    data = form_of(admin_client, url) | {"planned_closure_ground": ClosureGround.EMPLOYEE_MATTER}
    r = admin_client.post(url, data)
    assert refused(r, "§ 11-7 (3)")
    assert AgendaItem.objects.get(id=item.id).planned_closure_ground == ""
    # An optional ground (§ 11-5 (3)) is allowed in a remote meeting.
    r = admin_client.post(url, data | {"planned_closure_ground": ClosureGround.PRIVACY})
    assert r.status_code == 302, r.content[-3000:]
    assert AgendaItem.objects.get(id=item.id).planned_closure_ground == ClosureGround.PRIVACY


def test_it_allows_a_mandatory_ground_under_an_exemption_profile_in_force(admin_client, council):
    meeting = make_meeting(council, publish=False)
    Meeting.objects.filter(id=meeting.id).update(exemption_profile=profile())
    item = meeting.items.first()
    url = f"/admin/meetings/agendaitem/{item.id}/change/"
    r = admin_client.post(url, form_of(admin_client, url) | {"planned_closure_ground": ClosureGround.EMPLOYEE_MATTER})
    assert r.status_code == 302
    assert AgendaItem.objects.get(id=item.id).planned_closure_ground == ClosureGround.EMPLOYEE_MATTER


def test_it_refuses_an_exemption_profile_outside_its_validity_window(admin_client, council):
    meeting = make_meeting(council, publish=False)
    expired = profile(valid_from=dt.date(2020, 3, 13), valid_to=dt.date(2022, 7, 1))
    url = f"/admin/meetings/meeting/{meeting.id}/change/"
    data = form_of(admin_client, url)
    r = admin_client.post(url, data | {"exemption_profile": str(expired.id)})
    assert refused(r, "is not in force on")
    assert Meeting.objects.get(id=meeting.id).exemption_profile is None
    disabled = profile(enabled=False)
    assert refused(admin_client.post(url, data | {"exemption_profile": str(disabled.id)}), "not enabled")
    valid = profile()
    assert admin_client.post(url, data | {"exemption_profile": str(valid.id)}).status_code == 302
    assert Meeting.objects.get(id=meeting.id).exemption_profile == valid


def test_it_refuses_making_a_meeting_remote_with_a_mandatory_closed_item(admin_client, council):
    meeting = make_meeting(council, publish=False, form="physical")
    AgendaItem.objects.filter(id=meeting.items.first().id).update(planned_closure_ground=ClosureGround.CONFIDENTIALITY)
    url = f"/admin/meetings/meeting/{meeting.id}/change/"
    r = admin_client.post(url, form_of(admin_client, url) | {"form": "remote"})
    assert refused(r, "PS 1/26 skal lukkes etter § 11-5 (2)")
    assert Meeting.objects.get(id=meeting.id).form == "physical"


def test_it_refuses_adding_an_item_after_the_notice_is_published(admin_client, council):
    published = make_meeting(council)
    url = "/admin/meetings/agendaitem/add/"
    data = form_of(admin_client, url) | {"meeting": str(published.id), "order": "9", "case_number": "PS 9/26",
                                         "title": "Ny sak", "state": "pending"}
    r = admin_client.post(url, data)
    assert refused(r, "som ikke står på sakslisten (§ 11-3 (5))")
    assert not AgendaItem.objects.filter(case_number="PS 9/26").exists()
    draft = make_meeting(council, publish=False)
    r = admin_client.post(url, data | {"meeting": str(draft.id)})
    assert r.status_code == 302
    assert AgendaItem.objects.filter(meeting=draft, case_number="PS 9/26").exists()


def test_it_refuses_adding_an_item_inline_on_a_published_meeting(admin_client, council):
    meeting = make_meeting(council)
    url = f"/admin/meetings/meeting/{meeting.id}/change/"
    data = form_of(admin_client, url)
    n = int(data["items-TOTAL_FORMS"])
    data |= {"items-TOTAL_FORMS": str(n + 1), f"items-{n}-order": "9", f"items-{n}-case_number": "PS 9/26",
             f"items-{n}-title": "Ny sak", f"items-{n}-meeting": str(meeting.id)}
    admin_client.post(url, data)
    # After the notice the inline only shows the case list: the new row is never saved (the clerk's
    # page adds it as a logged change, or the chair in the meeting as a late item).
    assert meeting.items.count() == n and not meeting.items.filter(case_number="PS 9/26").exists()
    assert 'name="items-0-title"' not in admin_client.get(url).content.decode()


def test_it_leaves_the_exemption_of_a_published_meeting_to_the_logged_service(admin_client, council):
    meeting = make_meeting(council)
    url = f"/admin/meetings/meeting/{meeting.id}/change/"
    data = form_of(admin_client, url)
    assert "exemption_profile" not in data
    r = admin_client.post(url, data | {"exemption_profile": str(profile().id)})
    assert r.status_code == 302 and Meeting.objects.get(id=meeting.id).exemption_profile is None
