"""LAW items 5, 6 and 28-31: one rule (`meetings.exemptions.profile_coverage`) decides whether an
exemption profile covers a meeting, and the REST API, the services and the Django admin all ask it:
the meeting's date must lie in the profile's window, and at each use the moment of use as well."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from meetings import clock
from meetings.exceptions import LegalRuleViolation
from meetings.exemptions import profile_coverage
from meetings.legal import ClosureGround
from meetings.models import AgendaItem, ExemptionProfile, Meeting
from meetings.services import agenda, meetings
from tests.factories import make_meeting, run, start_meeting
from tests.meetings.test_admin import form_of


def today() -> dt.date:
    return timezone.localdate()


def profile(*, valid_from: dt.date, valid_to: dt.date, **kwargs) -> ExemptionProfile:
    fields = {"instrument": "FOR-2026-04-01-111", "title": "Midlertidig forskrift om fjernmøter (test)",
              "enabled": True, "allows_closed_11_5_2_remote": True, "allows_audio_only": True, **kwargs}
    return ExemptionProfile.objects.create(valid_from=valid_from, valid_to=valid_to, **fields)


def scheduled_on(meeting: Meeting, day: dt.date) -> Meeting:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(18, 0)))
    Meeting.objects.filter(id=meeting.id).update(scheduled_start=start)
    return Meeting.objects.get(id=meeting.id)


def client_for(user) -> APIClient:
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the refusals these tests read in English, their msgids
    c.force_authenticate(user)
    return c


def admin_text(response) -> str:
    return html.unescape(response.content.decode())


def test_law_6_profile_ending_before_the_meeting_date_is_refused_by_api_and_admin_alike(admin_client, council):
    meeting_day = today() + dt.timedelta(days=10)
    # In force today, so the old check against today let it through; it lapses before the meeting.
    lapsing = profile(valid_from=today() - dt.timedelta(days=30), valid_to=today() + dt.timedelta(days=5))
    by_api = scheduled_on(make_meeting(council, publish=False), meeting_day)
    by_admin = scheduled_on(make_meeting(council, publish=False), meeting_day)
    reason = profile_coverage(lapsing, by_api)
    assert reason == (f"FOR-2026-04-01-111 is not in force on {meeting_day.isoformat()}, the date of the meeting "
                      f"(valid {lapsing.valid_from.isoformat()} to {lapsing.valid_to.isoformat()}); "
                      "kommuneloven § 11-7 (4)")
    assert profile_coverage(lapsing, by_admin) == reason

    r = client_for(council.clerk).post(f"/api/meetings/{by_api.id}/exemption/", {"profile_id": lapsing.id},
                                       format="json")
    assert r.status_code == 422
    assert r.json()["error"] == {"code": "exemption_not_in_force", "message": reason}

    url = f"/admin/meetings/meeting/{by_admin.id}/change/"
    r = admin_client.post(url, form_of(admin_client, url) | {"exemption_profile": str(lapsing.id)})
    assert r.status_code == 200 and reason in admin_text(r)

    assert Meeting.objects.filter(id__in=[by_api.id, by_admin.id], exemption_profile__isnull=False).count() == 0
    assert not by_api.events.filter(type="exemption.applied").exists()


def test_law_6_profile_covering_the_meeting_date_is_accepted_by_api_and_admin_alike(admin_client, council):
    meeting_day = today() + dt.timedelta(days=10)
    covering = profile(valid_from=today() - dt.timedelta(days=30), valid_to=meeting_day)
    by_api = scheduled_on(make_meeting(council, publish=False), meeting_day)
    by_admin = scheduled_on(make_meeting(council, publish=False), meeting_day)
    assert profile_coverage(covering, by_api) is None

    r = client_for(council.clerk).post(f"/api/meetings/{by_api.id}/exemption/", {"profile_id": covering.id},
                                       format="json")
    assert r.status_code == 200, r.content
    url = f"/admin/meetings/meeting/{by_admin.id}/change/"
    r = admin_client.post(url, form_of(admin_client, url) | {"exemption_profile": str(covering.id)})
    assert r.status_code == 302, admin_text(r)[-3000:]

    applied_to = Meeting.objects.filter(id__in=[by_api.id, by_admin.id]).values_list("exemption_profile_id", flat=True)
    assert set(applied_to) == {covering.id}
    applied = by_api.events.get(type="exemption.applied").payload
    assert applied["valid_to"] == meeting_day.isoformat() and applied["allows"]["closed_11_5_2_remote"]


def test_law_5_and_6_mandatory_closure_item_is_refused_on_a_remote_meeting_its_profile_no_longer_covers(
        admin_client, council):
    """The profile covered the meeting when it was applied; the clerk then moved the draft meeting past
    the profile's end in the admin (once the notice is out the admin can no longer move it). A § 11-5 (2)
    case may not be put on its agenda, in the admin, on the clerk's API or after the notice."""
    ends = today() + dt.timedelta(days=5)
    lapsing = profile(valid_from=today() - dt.timedelta(days=30), valid_to=ends)
    meeting = make_meeting(council, publish=False)
    meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=lapsing.id)

    moved_to = today() + dt.timedelta(days=10)
    url = f"/admin/meetings/meeting/{meeting.id}/change/"
    r = admin_client.post(url, form_of(admin_client, url) | {"scheduled_start_0": moved_to.isoformat()})
    assert r.status_code == 302, admin_text(r)[-3000:]
    meeting = Meeting.objects.get(id=meeting.id)
    assert timezone.localdate(meeting.scheduled_start) == moved_to and meeting.exemption_profile_id == lapsing.id
    reason = profile_coverage(lapsing, meeting, allows="closed_11_5_2_remote", at=clock.now())
    assert reason and moved_to.isoformat() in reason and ends.isoformat() in reason

    # The admin's item form gives the reason.
    item_url = f"/admin/meetings/agendaitem/{meeting.items.first().id}/change/"
    r = admin_client.post(item_url, form_of(admin_client, item_url)
                          | {"planned_closure_ground": ClosureGround.EMPLOYEE_MATTER})
    assert r.status_code == 200 and reason in admin_text(r)
    assert not meeting.items.filter(planned_closure_ground=ClosureGround.EMPLOYEE_MATTER).exists()

    meetings.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id)
    clerk = client_for(council.clerk)
    r = clerk.post(f"/api/meetings/{meeting.id}/items/", {
        "case_number": "PS 9/26", "title": "Tilsettingssak", "public_title": "Personalsak",
        "planned_closure_ground": ClosureGround.EMPLOYEE_MATTER}, format="json")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "mandatory_closure_remote"
    assert reason in error["message"] and "§ 11-7 (3)" in error["message"]
    assert not AgendaItem.objects.filter(meeting=meeting, case_number="PS 9/26").exists()
    notice = APIClient().get(f"/api/meetings/{meeting.id}/notice/").json()
    assert "PS 9/26" not in [i["case_number"] for i in notice["items"]]
    # Nor may a noticed case be corrected into one.
    r = clerk.patch(f"/api/items/{meeting.items.first().id}/",
                    {"planned_closure_ground": ClosureGround.EMPLOYEE_MATTER}, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "mandatory_closure_remote"
    assert not meeting.items.filter(planned_closure_ground=ClosureGround.EMPLOYEE_MATTER).exists()


def test_law_31_mode_change_is_refused_once_the_profile_has_lapsed_though_it_covers_the_meeting_date(council):
    yesterday = today() - dt.timedelta(days=1)
    lapsed = profile(valid_from=yesterday - dt.timedelta(days=5), valid_to=yesterday)
    meeting = scheduled_on(make_meeting(council), yesterday)
    # It covers the meeting's date, so it may be applied ...
    meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=lapsed.id)
    start_meeting(council, meeting)
    # ... but it is no longer in force when the chair uses it.
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "meeting.set_mode", mode="audio_only", reason="Videotjenesten er nede")
    assert err.value.code == "mode_not_allowed"
    assert (f"not in force on {today().isoformat()}, when it is used (valid "
            f"{lapsed.valid_from.isoformat()} to {yesterday.isoformat()})") in err.value.message
    assert not meeting.events.filter(type="mode.changed").exists()


def test_law_5_and_31_closing_the_doors_under_11_5_2_is_refused_once_the_profile_has_lapsed(council):
    """The clerk put the § 11-5 (2) case on the agenda while the profile was in force; the meeting
    runs after the profile's end, so neither opening the case nor moving to close the doors on that
    ground is allowed (§ 11-7 (3))."""
    yesterday = today() - dt.timedelta(days=1)
    lapsed = profile(valid_from=yesterday - dt.timedelta(days=5), valid_to=yesterday)
    meeting = scheduled_on(make_meeting(council, publish=False), yesterday)
    meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=lapsed.id)
    added_at = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(12, 0)))
    with clock.replaying(lambda: added_at):
        closed = agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 9/26",
                                 title="Tilsettingssak", public_title="Personalsak",
                                 planned_closure_ground=ClosureGround.EMPLOYEE_MATTER)
    meetings.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id)
    start_meeting(council, meeting)
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "item.open", item_id=closed.id)
    assert err.value.code == "mandatory_closure_remote"
    assert f"not in force on {today().isoformat()}, when it is used" in err.value.message
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "doors.motion", ground=ClosureGround.EMPLOYEE_MATTER)
    assert err.value.code == "mandatory_closure_remote"
    assert f"not in force on {today().isoformat()}, when it is used" in err.value.message
    assert not meeting.events.filter(type="doors.motion").exists()


@pytest.mark.parametrize(("fields", "allows", "expected"), [
    ({"enabled": False}, None, "FOR-2026-04-01-111 is not enabled (valid {from_} to {to})"),
    ({"allows_audio_only": False}, "audio_only", "FOR-2026-04-01-111 does not allow audio-only meetings"),
    ({"allows_no_public_stream": False}, "no_public_stream", "does not allow a meeting without a public stream"),
    ({"allows_closed_11_5_2_remote": False}, "closed_11_5_2_remote",
     "does not allow handling a case that must be closed under § 11-5 (2) in a remote meeting"),
])
def test_law_31_coverage_names_what_the_profile_lacks(council, fields, allows, expected):
    meeting = make_meeting(council, publish=False)
    p = profile(valid_from=today() - dt.timedelta(days=1), valid_to=today() + dt.timedelta(days=1), **fields)
    reason = profile_coverage(p, meeting, allows=allows, at=clock.now())
    assert reason is not None
    assert expected.format(from_=p.valid_from.isoformat(), to=p.valid_to.isoformat()) in reason
    assert reason.endswith("kommuneloven § 11-7 (4)")


def test_law_31_coverage_without_a_profile_or_with_an_unknown_allowance(council):
    meeting = make_meeting(council, publish=False)
    assert "no exemption profile" in profile_coverage(None, meeting, allows="audio_only")
    p = profile(valid_from=today(), valid_to=today())
    assert profile_coverage(p, meeting, allows="audio_only", at=clock.now()) is None  # both ends included
    with pytest.raises(ValueError, match="unknown exemption"):
        profile_coverage(p, meeting, allows="hybrid")
