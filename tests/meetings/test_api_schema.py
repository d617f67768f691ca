"""The REST API's OpenAPI schema (`GET /api/schema/`, meetings/api_schema.py) tells the truth: what the
public's event list omits is not required, every error status an operation answers is documented in
the error shape, and the page parameters are validated as the schema states them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import start_meeting


def operations(document: dict) -> Iterator[tuple[str, str, dict]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def documented(operation: dict, status: int) -> bool:
    """`status` is in the operation's responses, with the error shape as its body."""
    response = operation["responses"].get(str(status))
    return bool(response) and response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


@pytest.fixture
def document(db) -> dict:
    return Client().get("/api/schema/?format=json").json()


def test_it_does_not_require_what_the_public_event_list_omits(council, meeting, document):
    """The public's events carry seq, type, at and the public payload; actor and the hash chain are the
    members' (a digest over a closed event's payload would let anyone test guesses at it)."""
    start_meeting(council, meeting)
    public = Client().get(f"/api/meetings/{meeting.id}/events/").json()["results"]
    member = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=council.members[0]).key}")
    full = member.get(f"/api/meetings/{meeting.id}/events/").json()["results"]
    assert {key for event in public for key in event} == {"seq", "type", "at", "payload"}
    assert {"actor", "prev_digest", "digest"} <= set(full[0])
    event = document["components"]["schemas"]["Event"]
    assert set(event["required"]) <= {"seq", "type", "at", "payload"}
    assert {"actor", "prev_digest", "digest"} <= set(event["properties"])


def test_it_documents_every_error_status_each_operation_answers(council, meeting, document, settings):
    """Walk every operation with the hostile input each one takes: a token that is not valid (403), an id
    that names nothing (404), a query integer that is not one (400), and for a write a body that is not
    JSON (415), nested too deep (400) or too large (413). Each answer is documented, in the error shape."""
    start_meeting(council, meeting)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    undocumented = []

    def check(method, path, operation, status_of, **request):
        client = Client(**request.pop("client_kwargs", {}))
        send = client.post if method == "POST" else client.get
        response = send(path, **request)
        if response.status_code >= 400 and not documented(operation, response.status_code):
            undocumented.append(f"{method} {path} {response.status_code} ({status_of})")
        if response.status_code >= 400:
            assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"code", "message"}

    for method, template, operation in operations(document):
        path = template.replace("{id}", str(meeting.id))
        integers = [p["name"] for p in operation.get("parameters", [])
                    if p["in"] == "query" and p["schema"].get("type") == "integer"]
        check(method, path, operation, "bad token", client_kwargs={"HTTP_AUTHORIZATION": "Token not-a-token"})
        if "{id}" in template:
            check(method, template.replace("{id}", "999999"), operation, "unknown id")
        for name in integers:
            check(method, f"{path}?{name}=%D9%A3", operation, f"{name}=٣")
        if method == "POST":
            check(method, path, operation, "not JSON", data="x", content_type="text/plain")
            check(method, path, operation, "too deep", data="[" * 5000 + "]" * 5000, content_type="application/json")
            check(method, path, operation, "too large", data='"' + "x" * 20_000 + '"', content_type="application/json")
    assert not undocumented, undocumented


def test_it_agrees_with_the_schema_on_page_parameters(council, document):
    """`limit` and `offset` as the schema states them: integers, limit from 1, offset from 0."""
    for _method, template, operation in operations(document):
        path = template.replace("{id}", str(council.body.id))
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
        if "limit" in parameters and "offset" in parameters:
            assert parameters["limit"]["minimum"] == 1 and parameters["offset"]["minimum"] == 0, path
            for query, status in (("limit=null", 400), ("limit=0", 400), ("offset=-1", 400), ("offset=0", 200),
                                  ("limit=1", 200)):
                assert Client().get(f"{path}?{query}").status_code == status, (path, query)
