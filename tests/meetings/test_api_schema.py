"""The REST API keeps every promise of its OpenAPI schema (`GET /api/schema/`, meetings/api_schema.py).

First, walks of every operation: what the public's event list omits is not required, every error status
an operation answers is documented in the error shape, the page parameters are validated as stated.
Then Schemathesis generates requests from the schema itself, valid and invalid, for every operation, and
sends each one anonymously and with a member's, the chair's and the clerk's token against a council
with a meeting in session and one that has ended. Every answer must be no 5xx, a status the schema
documents for that operation, a documented content type, and a body that matches the documented schema
(the error shape included). The examples are derandomized and bounded, so a run is the same every time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from meetings.models import AgendaItem
from meetings.services.tokens import token_create
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import examples

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = examples(20)  # per operation and role, besides the schema's boundary cases (the coverage phase)
REAL_IDS: list[int] = []  # set by `world`


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
    member = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=council.members[0], label='test')[1]}")
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
        response = getattr(client, method.lower())(path, **request)
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
        if method in ("POST", "PATCH"):
            check(method, path, operation, "not JSON", data="x", content_type="text/plain")
            check(method, path, operation, "too deep", data="[" * 5000 + "]" * 5000, content_type="application/json")
            check(method, path, operation, "too large", data='"' + "x" * 20_000 + '"', content_type="application/json")
    assert not undocumented, undocumented


def test_it_agrees_with_the_schema_on_page_parameters(council, document):
    """`limit` and `offset` as the schema states them: integers, limit from 1, offset from 0."""
    for _method, template, operation in operations(document):
        path = template.replace("{id}", str(council.body.id))
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
        # A required text parameter (the search's `q`) gets a word, so that only the page parameters vary.
        required = "".join(f"{p['name']}=word&" for p in operation.get("parameters", [])
                           if p["in"] == "query" and p.get("required") and p["schema"].get("type") == "string")
        if "limit" in parameters and "offset" in parameters:
            assert parameters["limit"]["minimum"] == 1 and parameters["offset"]["minimum"] == 0, path
            for query, status in (("limit=null", 400), ("limit=0", 400), ("offset=-1", 400), ("offset=0", 200),
                                  ("limit=1", 200)):
                assert Client().get(f"{path}?{required}{query}").status_code == status, (path, query)


@pytest.mark.parametrize("path", ["/api/meetings/%0A/state/", "/api/no-such/\n", "/api/meetings/1/nope/"])
def test_it_answers_json_404_for_any_unknown_api_path_a_newline_or_a_post_included(db, path):
    for response in (Client().get(path), Client(enforce_csrf_checks=True).post(path, "{}",
                                                                               content_type="application/json")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@dataclass
class World:
    tokens: dict[str, str | None]  # role -> API token (None: anonymous)

    def headers(self) -> Iterator[tuple[str, dict[str, str]]]:
        for role, token in self.tokens.items():
            yield role, ({"Authorization": f"Token {token}"} if token else {})


@pytest.fixture
def world(db) -> Iterator[World]:
    """A council with a meeting in session and one that has ended; their ids, the body's and the items'
    are the REAL_IDS that generated paths use half the time."""
    council = make_council()
    live_meeting = make_meeting(council)
    ended = make_meeting(council)
    start_meeting(council, ended)
    run(council.chair, ended, "meeting.end")
    start_meeting(council, live_meeting)
    run(council.chair, live_meeting, "item.open", item_id=live_meeting.items.first().id)
    REAL_IDS[:] = sorted({council.body.id, live_meeting.id, ended.id,
                          *AgendaItem.objects.filter(meeting__in=[live_meeting, ended]).values_list("id", flat=True)})
    tokens: dict[str, str | None] = {"anonymous": None}
    for role, user in (("member", council.members[0]), ("chair", council.chair), ("clerk", council.clerk)):
        tokens[role] = token_create(user=user, label="test")[1]
    # Django's test client does the same: the requests run inside the test's transaction, whose
    # connection must not be closed after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    quiet = logging.getLogger("django.request")  # thousands of 4xx warnings; a 5xx is still logged
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        yield World(tokens)
    finally:
        quiet.setLevel(level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Read from the running app, as a client reads it (generating it reads no database), at import: the
# lazy `schemathesis.pytest.from_fixture` fails on pytest 9.2 (it sets `request.node._nodeid`).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, the id names a real meeting, body or item: what the API does with one is tested too."""
    if not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    real = st.sampled_from(REAL_IDS).map(lambda i: {**path_parameters, "id": i})
    return st.one_of(st.just(path_parameters), real)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_it_answers_every_generated_request_as_its_schema_promises_for_every_role(case, world):
    """Hostile and ordinary input alike, for every operation: never a 5xx, never an undocumented status
    or body."""
    for _role, headers in world.headers():
        case.call_and_validate(headers=headers, checks=CHECKS)
