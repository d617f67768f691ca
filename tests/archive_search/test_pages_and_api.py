"""The search box on the archive page, the results page (translated, paged, its messages) and
`GET /api/search/` with its place in the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from captions.models import CaptionJob
from tests.archive_search.conftest import with_cues

pytestmark = pytest.mark.django_db


def _client(lang: str) -> Client:
    client = Client()
    client.cookies["django_language"] = lang
    return client


@pytest.mark.parametrize(("lang", "words"), [("nb", "Søk i arkivet"), ("nn", "Søk i arkivet"),
                                             ("en", "Search the archive")])
def test_the_archive_page_has_a_search_box(db, lang, words):
    html = _client(lang).get("/archive/").content.decode()
    assert 'role="search"' in html and 'action="/archive/search/"' in html and 'name="q"' in html
    assert words in html


def test_the_results_link_to_the_moment_and_name_the_meeting(recorded):
    html = _client("en").get("/archive/search/", {"q": "schools"}).content.decode()
    assert f'href="/meetings/{recorded.id}/?t=65"' in html and "1 hit for “schools”" in html
    assert "<mark>schools</mark>" in html and "Medlem 1" in html and recorded.title in html
    assert recorded.body.name in html and "<time datetime=" in html


@pytest.mark.parametrize(("lang", "q", "words"), [
    ("nb", "", "Skriv et ord å søke etter."), ("nn", "", "Skriv eit ord å søkje etter."),
    ("nb", "a", "Søk etter et ord på minst 2 bokstaver eller sifre."),
    ("nn", "!!", "Søk etter eit ord på minst 2 bokstavar eller siffer."),
    ("en", "a", "Search for a word of at least 2 letters or digits."),
    ("nb", "schools", "1 treff for «schools»"), ("nn", "schools", "1 treff for «schools»"),
    ("nb", "ingenting", "0 treff for «ingenting»"),
])
def test_the_page_says_what_it_found_or_why_not_in_its_language(recorded, lang, q, words):
    response = _client(lang).get("/archive/search/", {"q": q})
    assert response.status_code == 200 and words in response.content.decode()


def test_the_page_pages_the_hits(recorded, django_capture_on_commit_callbacks):
    CaptionJob.objects.filter(meeting=recorded).delete()
    with_cues(recorded, [("Medlem 1", float(i * 10), float(i * 10 + 5), f"budget {i}") for i in range(25)],
              django_capture_on_commit_callbacks)
    first = _client("en").get("/archive/search/", {"q": "budget"}).content.decode()
    assert first.count('class="search-hit"') == 20 and "Page 1 of 2" in first and 'rel="next"' in first
    second = _client("en").get("/archive/search/", {"q": "budget", "page": "2"}).content.decode()
    assert second.count('class="search-hit"') == 5 and 'rel="prev"' in second and 'start="21"' in second


def test_the_api_answers_pages_of_hits(recorded):
    response = Client().get("/api/search/", {"q": "schools"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    [hit] = body["results"]
    assert hit == {"meeting": recorded.id, "title": recorded.title, "body": recorded.body.name,
                   "date": hit["date"], "kind": "cue", "speaker": "Medlem 1", "case_number": None,
                   "snippet": "we need more money for the <mark>schools</mark>",
                   "url": f"/meetings/{recorded.id}/?t=65", "seconds": 65}
    assert len(hit["date"]) == 10
    json.dumps(body)


def test_the_api_refuses_a_query_with_nothing_to_find(recorded):
    for q in ("", "a", "!!!"):
        response = Client().get("/api/search/", {"q": q})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"
    nb = Client(HTTP_ACCEPT_LANGUAGE="nb").get("/api/search/", {"q": "a"}).json()["error"]["message"]
    assert "minst 2" in nb
    assert Client().get("/api/search/", {"q": "schools", "limit": "0"}).status_code == 400


def test_the_api_is_in_the_schema(db):
    document = Client().get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/search/"]["get"]
    names = {p["name"]: p for p in operation["parameters"]}
    assert names["q"]["required"] is True and {"limit", "offset"} <= set(names)
    assert {"200", "400", "403"} <= set(operation["responses"])
