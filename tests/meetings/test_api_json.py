"""Hostile JSON bodies over HTTP: one bounded entry point (meetings/api_json.py) for every REST body
and the public WebRTC offer, answering in the error shape and never with a 500.

The classes of input: JSON nested thousands of levels deep (Python's decoder recurses per level),
a body larger than the limit, JSON that is not JSON (NaN), half a surrogate pair, and a form body
with more fields than Django allows (the token endpoint also takes forms).
"""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient, Client

from meetings import commands
from meetings.api_json import MAX_DEPTH, JSONBodyError, loads_bounded
from meetings.services.tokens import token_authenticate, token_create
from tests.factories import start_meeting

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
JUST_TOO_DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)


def rest_posts(meeting_id: int, item_id: int) -> list[str]:
    """Every REST operation that reads a JSON body."""
    return ["/api/auth/token/", "/api/meetings/", f"/api/meetings/{meeting_id}/items/",
            f"/api/items/{item_id}/documents/", f"/api/meetings/{meeting_id}/publish-notice/",
            f"/api/meetings/{meeting_id}/exemption/", f"/api/meetings/{meeting_id}/minutes/release-decision/",
            *(f"/api/meetings/{meeting_id}/actions/{name}/" for name in commands.COMMANDS)]


@pytest.fixture
def chair_client(council, meeting):
    start_meeting(council, meeting)
    return Client(HTTP_AUTHORIZATION=f"Token {token_create(user=council.chair)[1]}")


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, JUST_TOO_DEEP], ids=["array", "object", "one-too-deep"])
def test_it_refuses_deeply_nested_json_on_every_rest_body_with_too_deep(chair_client, meeting, body):
    answers = {}
    for path in rest_posts(meeting.id, meeting.items.first().id):
        r = chair_client.post(path, body, content_type="application/json")
        answers[path] = (r.status_code, r.json()["error"]["code"])
    assert answers == dict.fromkeys(answers, (400, "too_deep"))


def test_it_reads_brackets_inside_strings_as_text_not_nesting(chair_client, meeting):
    item = meeting.items.first()
    chair_client.post(f"/api/meetings/{meeting.id}/actions/item.open/", {"item_id": item.id},
                      content_type="application/json")
    text = "[{" * 2000
    r = chair_client.post(f"/api/meetings/{meeting.id}/actions/proposal.submit/", json.dumps({"text": text}),
                          content_type="application/json")
    assert r.status_code == 200, r.content
    assert meeting.events.filter(type="proposal.submitted").get().payload["text"] == text


def test_it_takes_json_as_deep_as_the_limit(db):
    nested: object = 1
    for _ in range(MAX_DEPTH):
        nested = [nested]
    assert loads_bounded(json.dumps(nested).encode(), max_bytes=10_000) == nested
    with pytest.raises(JSONBodyError) as refused:
        loads_bounded(json.dumps([nested]).encode(), max_bytes=10_000)
    assert (refused.value.code, refused.value.http_status) == ("too_deep", 400)


def test_it_refuses_a_rest_body_larger_than_the_limit_with_too_large(chair_client, meeting, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = chair_client.post(f"/api/meetings/{meeting.id}/actions/proposal.submit/",
                          json.dumps({"text": "x" * 1001}), content_type="application/json")
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert not meeting.events.filter(type="proposal.submitted").exists()


@pytest.mark.parametrize("body", ['{"username": NaN, "password": "x"}', '{"username": "\\ud800", "password": "x"}',
                                  '{"username": "a", "password": "x"', "1" * 5000, b"\xff\xfe{}"],
                         ids=["nan", "lone-surrogate", "truncated", "huge-integer", "not-utf8"])
def test_it_refuses_json_that_is_not_json_with_malformed_json(db, body):
    r = Client().post("/api/auth/token/", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json", r.content


def test_it_refuses_a_token_form_with_too_many_fields_with_bad_request(db):
    form = "&".join(f"f{i}=1" for i in range(1200))
    r = Client().post("/api/auth/token/", form, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_it_still_issues_a_token_for_a_json_body_and_a_form(council):
    for body, content_type in ((json.dumps({"username": "kst-m1", "password": "pw-kst-m1"}), "application/json"),
                               ("username=kst-m1&password=pw-kst-m1", "application/x-www-form-urlencoded")):
        r = Client().post("/api/auth/token/", body, content_type=content_type)
        assert r.status_code == 200, r.content
        assert token_authenticate(key=r.json()["token"]).user == council.members[0]


@pytest.mark.parametrize("body,code", [(DEEP_ARRAY[:30_000], "too_deep"), (JUST_TOO_DEEP, "too_deep"),
                                       ('{"sdp": NaN}', "bad_json")], ids=["deep", "one-too-deep", "nan"])
async def test_it_refuses_deeply_nested_json_in_a_webrtc_offer(db, body, code):
    """The public offer endpoint reads its body through the same bounded decoder (its own 32 KiB limit)."""
    r = await AsyncClient().post("/live/1/webrtc/offer", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == code
