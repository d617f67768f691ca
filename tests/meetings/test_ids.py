"""Integers from text at the HTTP boundary (meetings/ids.py): ids in URL paths through the `id`
converter, query parameters and form fields through `parse_int`.

The classes of input: an id beyond 64 bits in any page or API URL (it overflowed the SQLite query,
a 500), digits that are not ASCII ("٣", "３", read as numbers by int()), signs, spaces, underscores
and words where an integer belongs ("null", "-1", "+3", " 3", "1_0").
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from meetings.exceptions import InvalidInput
from meetings.ids import MAX_ID, parse_int
from meetings.services.tokens import token_create
from tests.factories import start_meeting

HUGE = "9" * 30  # 2^99 and more
BEYOND_64_BITS = str(2**64)


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Every HTTP URL pattern of the site, as its route string (`meetings/<id:meeting_id>/`)."""
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = getattr(pattern.pattern, "_route", None)
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, prefix + (route or ""))
        elif isinstance(pattern, URLPattern) and route is not None:
            found.append(prefix + route)
    return found


def with_ids(route: str, value: str, meeting_id: int) -> str:
    path = re.sub(r"<str:command>", "item.open", route)
    path = re.sub(r"<str:name>", "index.m3u8", path)
    path = re.sub(r"<str:meeting_id>", value, path)
    # The last id is the hostile one; a meeting id before it names a real meeting, so the lookup runs.
    ids = re.findall(r"<(?:id|int):\w+>", path)
    for n, converter in enumerate(ids):
        path = path.replace(converter, value if n == len(ids) - 1 else str(meeting_id), 1)
    path = re.sub(r"<path:\w+>", "x", path)
    return "/" + path


def test_every_url_pattern_with_an_integer_uses_the_id_converter():
    assert not [r for r in routes() if "<int:" in r]
    assert len([r for r in routes() if "<id:" in r]) >= 20


@pytest.mark.parametrize("value", [HUGE, BEYOND_64_BITS, str(10**18), "٣", "３", "-1", "1_0"])
def test_it_answers_404_for_an_id_beyond_64_bits_or_not_ascii_in_every_url(council, meeting, value):
    start_meeting(council, meeting)
    clerk = Client()
    clerk.force_login(council.clerk)
    answers = {}
    for route in routes():
        if not re.search(r"<(?:id|int):", route):
            continue
        path = with_ids(route, value, meeting.id)
        for name, client in (("anonymous", Client()), ("clerk", clerk)):
            answers[f"GET {path} {name}"] = client.get(path).status_code
            answers[f"POST {path} {name}"] = client.post(path, "{}", content_type="application/json").status_code
    assert len(answers) >= 80
    assert answers == dict.fromkeys(answers, 404)


def test_it_still_finds_a_document_by_its_url(council, meeting):
    from meetings.services import agenda

    document = agenda.document_add(user=council.clerk, item_id=meeting.items.first().id, title="Saksframlegg",
                                   text="Rådmannens saksframlegg.")
    r = Client().get(f"/meetings/{meeting.id}/documents/{document.id}/")
    assert r.status_code == 200 and "Rådmannens saksframlegg." in r.content.decode()


@pytest.mark.parametrize("query", ["after=٣", "after=３", "after=-1", "after=+3", "after=%203", "after=1_0",
                                   "after=", "after=null", f"after={2**63}", "limit=null", "limit=0", "limit=-5",
                                   "limit=٣", "limit=abc"])
def test_it_refuses_an_event_page_parameter_that_is_not_an_ascii_integer_in_range(meeting, query):
    r = Client().get(f"/api/meetings/{meeting.id}/events/?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", r.content


@pytest.mark.parametrize("path", ["/api/meetings/", "/api/bodies/", "/api/exemption-profiles/"])
@pytest.mark.parametrize("query", ["limit=null", "limit=0", "limit=-1", "limit=٣", "offset=٣", "offset=", "offset=-1"])
def test_it_refuses_a_page_parameter_that_is_not_an_ascii_integer_in_range(db, path, query):
    r = Client().get(f"{path}?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", r.content


@pytest.mark.parametrize("query", ["body=٣", "body=0", "body=", "body=null"])
def test_it_refuses_a_meeting_list_filter_that_is_not_an_ascii_id(db, query):
    r = Client().get(f"/api/meetings/?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


def test_it_reads_a_page_size_above_the_maximum_as_the_maximum(council, meeting):
    r = Client().get(f"/api/meetings/{meeting.id}/events/?limit={HUGE}")
    assert r.status_code == 200
    r = Client().get(f"/api/bodies/?limit={HUGE}")
    assert r.status_code == 200 and r.json()["count"] == 1


@pytest.mark.parametrize("vote", ["٣", HUGE, "-1", "1_0"])
def test_it_answers_the_clerk_page_with_choose_a_vote_for_a_vote_that_is_not_an_ascii_id(council, meeting, vote):
    clerk = Client()
    clerk.force_login(council.clerk)
    r = clerk.post(f"/clerk/meetings/{meeting.id}/", {"action": "release_decision", "vote": vote, "reason": "x"},
                   follow=True)
    assert r.status_code == 200 and "velg en votering" in r.content.decode()  # the page's language (nb)


@pytest.mark.parametrize("value", ["٣", "３", " 1", "1_0", "+1"])
def test_it_refuses_an_id_in_a_json_payload_written_in_other_digits_with_invalid_input(council, meeting, value):
    start_meeting(council, meeting)
    chair = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=council.chair, label='test')[1]}")
    item = meeting.items.first()
    r = chair.post(f"/api/meetings/{meeting.id}/actions/item.open/", {"item_id": value.replace("1", str(item.id))},
                   content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", r.content
    r = chair.post(f"/api/meetings/{meeting.id}/actions/item.open/", {"item_id": str(item.id)},
                   content_type="application/json")
    assert r.status_code == 200  # ASCII digits in a string still name the item, as JSON numbers do


def test_parse_int_reads_ascii_digits_only_and_bounds_them():
    assert parse_int("0042", name="x") == 42
    assert parse_int(str(MAX_ID), name="x") == MAX_ID
    assert parse_int(HUGE, name="x", cap=500) == 500
    for raw in ("٣", "３", "-1", "+1", " 1", "1 ", "1_0", "", "1.0", str(MAX_ID + 1), "0" * 30 + str(MAX_ID + 1)):
        with pytest.raises(InvalidInput):
            parse_int(raw, name="x")
