import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from meetings.legal import ClosureGround
from meetings.models import AgendaItem, Meeting
from tests.factories import live, make_meeting, run, start_meeting
from tests.helpers import production_env


@pytest.fixture
def anon():
    return APIClient()


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the refusals these tests read in English, their msgids
    c.force_authenticate(user)
    return c


def test_it_serves_public_reads_without_login(anon, council, meeting):
    assert anon.get("/api/bodies/").json()["results"][0]["name"] == council.body.name
    members = anon.get(f"/api/bodies/{council.body.id}/members/").json()["results"]
    assert {m["role"] for m in members} >= {"chair", "member", "deputy", "clerk"}
    meetings = anon.get("/api/meetings/").json()["results"]
    assert [m["id"] for m in meetings] == [meeting.id]
    notice = anon.get(f"/api/meetings/{meeting.id}/notice/").json()
    assert [i["case_number"] for i in notice["items"]] == ["PS 1/26", "PS 2/26", "PS 3/26"]


def test_drafts_are_visible_to_the_clerk_only(anon, council):
    draft = make_meeting(council, publish=False)
    assert anon.get(f"/api/meetings/{draft.id}/").status_code == 404
    assert client_for(council.clerk).get(f"/api/meetings/{draft.id}/").status_code == 200
    r = anon.get(f"/api/meetings/{draft.id}/notice/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_public_sees_public_titles_and_public_documents_only(anon, council):
    meeting = make_meeting(council, closure_item=ClosureGround.PRIVACY)
    from meetings.services import agenda
    item = meeting.items.get(case_number="PS 99/26")
    agenda.document_add(user=council.clerk, item_id=item.id, title="Søknad med helseopplysninger", public=False,
                        exemption_basis="offentleglova § 13")
    agenda.document_add(user=council.clerk, item_id=item.id, title="Offentlig saksframlegg")
    body = anon.get(f"/api/meetings/{meeting.id}/").json()
    closed = next(i for i in body["items"] if i["case_number"] == "PS 99/26")
    assert closed["title"] == "Unntatt sak"
    assert [d["title"] for d in closed["documents"]] == ["Offentlig saksframlegg"]
    internal = client_for(council.members[0]).get(f"/api/meetings/{meeting.id}/").json()
    closed = next(i for i in internal["items"] if i["case_number"] == "PS 99/26")
    assert closed["title"] == "Klage på vedtak" and len(closed["documents"]) == 2


def test_it_pages_the_log_after_a_sequence_number_and_filters_it_for_the_public(anon, council, meeting):
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    member_view = client_for(council.members[0]).get(f"/api/meetings/{meeting.id}/events/?after=0&limit=3").json()
    assert [e["seq"] for e in member_view["results"]] == [1, 2, 3] and member_view["has_more"]
    rest = client_for(council.members[0]).get(f"/api/meetings/{meeting.id}/events/?after=3").json()
    assert rest["results"][0]["seq"] == 4 and rest["results"][0]["digest"]
    public = anon.get(f"/api/meetings/{meeting.id}/events/").json()["results"]
    opened = next(e for e in public if e["type"] == "meeting.opened")
    assert "roster" not in opened["payload"]
    assert all("digest" not in e for e in public)


def test_commands_run_over_http_with_roles_enforced(council, meeting):
    start_meeting(council, meeting)
    item = meeting.items.first()
    chair = client_for(council.chair)
    r = chair.post(f"/api/meetings/{meeting.id}/actions/item.open/", {"item_id": item.id}, format="json")
    assert r.status_code == 200 and r.json()["seq"] > 0
    r = client_for(council.members[0]).post(f"/api/meetings/{meeting.id}/actions/vote.open/", {}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_token_authentication_works(council, meeting):
    key = APIClient().post("/api/auth/token/", {"username": council.members[0].username,
                                                "password": "pw-" + council.members[0].username}).json()["token"]
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert c.get(f"/api/meetings/{meeting.id}/state/").status_code == 200
    assert APIClient().get(f"/api/meetings/{meeting.id}/state/").status_code == 403


@pytest.mark.parametrize("path,body,status,code", [
    ("/api/meetings/{m}/actions/no.such/", {}, 400, "unknown_type"),
    ("/api/meetings/{m}/actions/vote.cast/", {"vote": "x", "choice": 1}, 400, "invalid_input"),
    ("/api/meetings/{m}/actions/vote.cast/", {"vote": 999, "choice": "for"}, 404, "not_found"),
    ("/api/meetings/{m}/actions/floor.request/", {"kind": "speech", "extra": 1}, 400, "invalid_input"),
    ("/api/meetings/{m}/actions/item.open/", {"item_id": 10**12}, 404, "not_found"),
    ("/api/meetings/999999/actions/item.open/", {"item_id": 1}, 404, "not_found"),
    ("/api/meetings/{m}/actions/meeting.open/", {}, 409, "illegal_transition"),
])
def test_bad_input_gets_a_clear_error_never_a_500(council, meeting, path, body, status, code):
    start_meeting(council, meeting)
    r = client_for(council.chair).post(path.format(m=meeting.id), body, format="json")
    assert r.status_code == status, r.content
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_malformed_json_gets_a_clear_error(council, meeting):
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/item.open/", "{not json",
                                       content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    r = client_for(council.chair).get(f"/api/meetings/{meeting.id}/events/?after=abc")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


def test_clerk_creates_meetings_and_items_and_others_cannot(council):
    clerk = client_for(council.clerk)
    r = clerk.post("/api/meetings/", {"body_id": council.body.id, "title": "Ekstraordinært møte",
                                      "scheduled_start": "2026-12-01T18:00:00+01:00"}, format="json")
    assert r.status_code == 201
    mid = r.json()["id"]
    r = clerk.post(f"/api/meetings/{mid}/items/", {"case_number": "PS 7/26", "title": "Budsjett 2027"}, format="json")
    assert r.status_code == 201
    r = clerk.post(f"/api/meetings/{mid}/items/", {"case_number": "PS 8/26", "title": "Personalsak",
                                                   "planned_closure_ground": ClosureGround.EMPLOYEE_MATTER},
                   format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "mandatory_closure_remote"
    assert clerk.post(f"/api/meetings/{mid}/publish-notice/", {}, format="json").status_code == 200
    member = client_for(council.members[0])
    r = member.post("/api/meetings/", {"body_id": council.body.id, "title": "x",
                                       "scheduled_start": "2026-12-01T18:00:00+01:00"}, format="json")
    assert r.status_code == 403


def test_it_serves_the_openapi_schema_and_docs(anon, db):
    r = anon.get("/api/schema/")
    assert r.status_code == 200 and b"/api/meetings/" in r.content
    docs = anon.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


@pytest.mark.engine_independent
def test_production_settings_pass_check_deploy(tmp_path):
    # Its own database: the developer's may hold the demo logins, which check --deploy refuses.
    env = production_env(tmp_path / "db.sqlite3")
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout, out.stdout + out.stderr


HUGE = 2**70


@pytest.mark.parametrize("command,body", [
    ("roll_call", {"absent": {"abc": "x"}}),
    ("roll_call", {"absent": {str(2**63): "x"}}),
    ("roll_call", {"absent": {"-4": "x"}}),
    ("roll_call", {"present": [HUGE]}),
    ("absence.register", {"person_id": HUGE}),
    ("meeting.set_chair", {"person_id": HUGE}),
    ("member.leave", {"person_id": HUGE}),
    ("deputy.summon", {"for_member_id": 1, "deputy_id": HUGE}),
    ("floor.grant", {"person_id": 0}),
    ("speakers.reorder", {"order": [{"person": HUGE, "kind": "speech"}]}),
    ("vote.open", {"proposals": [HUGE]}),
    ("vote.cast", {"vote": -1, "choice": "for"}),
    ("doors.motion", {"ground": ClosureGround.PRIVACY, "item_id": HUGE}),
    ("conflict.rule", {"item_id": HUGE, "person_id": 1, "recused": True, "legal_basis": "fvl. § 6"}),
])
def test_it_refuses_ids_out_of_range_with_invalid_input(council, meeting, command, body):
    start_meeting(council, meeting)
    before = Meeting.objects.get(id=meeting.id).last_seq
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/{command}/", body, format="json")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and "invalid payload" in error["message"]
    assert Meeting.objects.get(id=meeting.id).last_seq == before


def test_it_names_the_bad_nested_field_in_plain_words(council, meeting):
    start_meeting(council, meeting)
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/speakers.reorder/",
                                       {"order": [{"person": HUGE, "kind": "speech"}]}, format="json")
    message = r.json()["error"]["message"]
    assert "order.0.person" in message and "ErrorDetail" not in message


def test_it_accepts_a_roll_call_with_numeric_absence_keys(council, meeting):
    start_meeting(council, meeting, join_all=False)
    absent = council.pid(council.members[0])
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/roll_call/",
                                       {"present": [council.pid(council.members[1])],
                                        "absent": {str(absent): "sykdom"}}, format="json")
    assert r.status_code == 200, r.content
    assert live(meeting)["absent"][str(absent)]["reason"] == "sykdom"


@pytest.mark.parametrize("query", ["body=99999999999999999999999", f"body={2**63}", "body=-1", "body=abc"])
def test_it_refuses_a_meeting_list_filter_out_of_range(anon, db, query):
    r = anon.get(f"/api/meetings/?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


def test_it_refuses_an_event_page_after_a_seq_out_of_range(anon, meeting):
    r = anon.get(f"/api/meetings/{meeting.id}/events/?after={2**64}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


def test_it_answers_not_found_when_the_chair_records_an_unknown_person_leaving(council, meeting):
    start_meeting(council, meeting)
    before = Meeting.objects.get(id=meeting.id).last_seq
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/member.leave/", {"person_id": 999999},
                                       format="json")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert Meeting.objects.get(id=meeting.id).last_seq == before


def test_it_still_records_a_known_member_leaving(council, meeting):
    start_meeting(council, meeting)
    pid = council.pid(council.members[0])
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/member.leave/", {"person_id": pid},
                                       format="json")
    assert r.status_code == 200 and live(meeting)["attendance"][str(pid)]["present"] is False


def test_it_answers_json_for_an_unknown_public_state_document(anon, db):
    r = anon.get("/public/meetings/999999/state.json")
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    assert r.json()["error"]["code"] == "not_found" and r.json()["error"]["message"]


def test_it_answers_json_for_unknown_api_paths(anon, db):
    for path in ("/api/no-such-thing/", "/api/meetings/abc/", "/api/meetings/1/nope/"):
        r = anon.get(path)
        assert r.status_code == 404 and r["Content-Type"] == "application/json", path
        assert r.json()["error"]["code"] == "not_found"


def test_it_maps_an_unexpected_error_to_a_json_500():
    # What DRF hands the handler when a view has a bug: the answer keeps the API's error shape.
    from django.utils import translation

    from meetings.api_errors import exception_handler

    with translation.override("en"):  # the message is in the request's language; the code is not
        response = exception_handler(RuntimeError("a bug"), {"view": None})
    assert response.status_code == 500
    assert response.data == {"error": {"code": "internal", "message": "the server could not handle this request"}}


def _item(body, case_number):
    return next(i for i in body["items"] if i["case_number"] == case_number)


def test_it_hides_the_content_of_an_item_planned_for_closed_doors_from_the_public(anon, council):
    meeting = make_meeting(council, closure_item=ClosureGround.PRIVACY)
    from meetings.services import agenda
    item = meeting.items.get(case_number="PS 99/26")
    agenda.document_add(user=council.clerk, item_id=item.id, title="Vedlegg merket offentlig ved en feil",
                        public=True, exemption_basis="offentleglova § 13")
    AgendaItem.objects.filter(id=item.id).update(description="Klagerens helseopplysninger")
    for path in (f"/api/meetings/{meeting.id}/", f"/api/meetings/{meeting.id}/notice/"):
        public = _item(anon.get(path).json(), "PS 99/26")
        assert public["description"] == "" and public["recommendation"] == "" and public["content_withheld"]
        assert public["title"] == "Unntatt sak" and public["documents"] == []
    listed = _item({"items": anon.get(f"/api/meetings/{meeting.id}/items/").json()}, "PS 99/26")
    assert listed["recommendation"] == "" and listed["content_withheld"]
    open_item = _item(anon.get(f"/api/meetings/{meeting.id}/").json(), "PS 1/26")
    assert open_item["recommendation"] == "Innstilling i sak 1 vedtas." and not open_item["content_withheld"]
    for user in (council.members[0], council.clerk):
        internal = _item(client_for(user).get(f"/api/meetings/{meeting.id}/").json(), "PS 99/26")
        assert internal["description"] == "Klagerens helseopplysninger"
        assert internal["recommendation"] == "Klagen tas ikke til følge." and not internal["content_withheld"]
        assert len(internal["documents"]) == 1


def test_it_hides_the_content_of_an_item_once_its_doors_were_closed(anon, council, meeting):
    start_meeting(council, meeting)
    item = meeting.items.get(case_number="PS 2/26")
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY)
    vote = run(council.chair, meeting, "vote.open", kind="closure")
    vote_no = live(meeting)["open_vote"]
    for u in [council.chair, *council.members]:
        run(u, meeting, "vote.cast", vote=int(vote_no), choice="for")
    run(council.chair, meeting, "vote.close", vote=int(vote_no))
    assert live(meeting)["doors"]["closed"], vote
    public = _item(anon.get(f"/api/meetings/{meeting.id}/").json(), "PS 2/26")
    assert public["recommendation"] == "" and public["content_withheld"]
    run(council.chair, meeting, "doors.open")
    public = _item(anon.get(f"/api/meetings/{meeting.id}/").json(), "PS 2/26")
    assert public["recommendation"] == "" and public["content_withheld"]  # handled behind closed doors
    assert not _item(anon.get(f"/api/meetings/{meeting.id}/").json(), "PS 1/26")["content_withheld"]


def test_it_opens_an_item_planned_for_closed_doors_in_public_by_its_public_title_only(anon, council):
    meeting = make_meeting(council, closure_item=ClosureGround.PRIVACY)
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.get(case_number="PS 99/26").id)
    public = anon.get(f"/api/meetings/{meeting.id}/events/").json()["results"]
    opened = next(e for e in public if e["type"] == "item.opened")
    assert opened["payload"]["title"] == "Unntatt sak"
    assert "recommendation" not in opened["payload"] and "Klage" not in str(opened["payload"])


def test_it_pages_the_meeting_and_member_lists_like_the_others(anon, council):
    ids = [make_meeting(council).id for _ in range(3)]
    first = anon.get("/api/meetings/?limit=2").json()
    assert first["count"] == 3 and [m["id"] for m in first["results"]] == ids[:2] and first["next"]
    rest = anon.get(first["next"]).json()
    assert [m["id"] for m in rest["results"]] == ids[2:] and rest["next"] is None
    members = anon.get(f"/api/bodies/{council.body.id}/members/?limit=3&offset=1").json()
    assert members["count"] == 8 and len(members["results"]) == 3  # 5 seats, 2 deputies, a clerk
    assert len(anon.get("/api/bodies/?limit=99999999999999999999999").json()["results"]) == 1  # capped, not a 500


@pytest.mark.parametrize("path", ["/api/meetings/", "/api/bodies/", "/api/bodies/{b}/members/",
                                  "/api/exemption-profiles/"])
@pytest.mark.parametrize("query", ["offset=-1", "offset=99999999999999999999999", "offset=x"])
def test_it_refuses_a_bad_page_offset_with_invalid_input(anon, council, path, query):
    r = anon.get(f"{path.format(b=council.body.id)}?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


def test_it_lists_where_to_start_at_the_api_root(db):
    from django.test import Client

    body = Client().get("/api/").json()
    assert body["meetings"].endswith("/api/meetings/") and body["docs"].endswith("/api/docs/")
    for url in body.values():
        assert Client().get(url.replace("http://testserver", "")).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "clerk"])
def test_every_api_page_renders_in_the_browser_never_a_500(council, meeting, client, who):
    """DRF's browsable API renders each endpoint's page (its forms ask the view for its queryset)."""
    if who == "clerk":
        client.force_login(council.clerk)
    m, b = meeting.id, council.body.id
    for path in ["/api/", "/api/bodies/", f"/api/bodies/{b}/", f"/api/bodies/{b}/members/", "/api/meetings/",
                 f"/api/meetings/?body={b}", f"/api/meetings/{m}/", f"/api/meetings/{m}/notice/",
                 f"/api/meetings/{m}/items/", f"/api/meetings/{m}/events/", f"/api/meetings/{m}/state/",
                 "/api/exemption-profiles/", "/api/commands/", "/api/auth/token/", "/api/auth/tokens/"]:
        r = client.get(path, HTTP_ACCEPT="text/html")
        assert r.status_code < 500 and r["Content-Type"].startswith("text/html"), (path, r.status_code)
