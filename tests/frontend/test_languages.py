"""A language is only a catalogue: every page in bokmål, nynorsk and English from the same templates,
server errors in the request's or socket's language with the code unchanged, dates through Django's
formats, and legal grounds in words wherever they are shown."""

from __future__ import annotations

import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from meetings.legal import ClosureGround, ground_words
from minutes import demo
from minutes import services as minutes_services
from minutes.labels import format_date, format_datetime
from tests.factories import make_council, make_meeting
from tests.helpers import ORIGIN, Socket, token_for

# One string from each catalogue (locale/<lang>/django.po) that only that language has.
SKIP_LINK = {"nb": "Hopp til innholdet", "nn": "Hopp til innhaldet", "en": "Skip to content"}


@pytest.fixture
def played(db, django_capture_on_commit_callbacks):
    council = make_council(seats=7, deputies=2, slug="lang")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = demo.play_meeting(body=council.body, clerk=council.clerk)
    upcoming = make_meeting(council)
    return council, meeting, upcoming


def pages(council, meeting, upcoming) -> list[tuple[str, object]]:
    """(path, user or None) for every page a person can open."""
    member, clerk = council.members[0], council.clerk
    return [("/", None), (f"/meetings/{upcoming.id}/", None), (f"/meetings/{meeting.id}/", None),
            ("/archive/", None), (f"/meetings/{meeting.id}/minutes/", None), ("/accounts/login/", None),
            (f"/meetings/{upcoming.id}/room/", member), ("/clerk/", clerk), (f"/clerk/meetings/{upcoming.id}/", clerk)]


def get(path: str, user, lang: str) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = lang  # what the language chooser (set_language) sets
    response = client.get(path)
    assert response.status_code == 200, (path, lang, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_it_renders_every_page_in_each_language_from_its_catalogue(played, lang):
    council, meeting, upcoming = played
    others = [text for code, text in SKIP_LINK.items() if code != lang]
    for path, user in pages(council, meeting, upcoming):
        html = get(path, user, lang)
        assert f'<html lang="{lang}">' in html, path
        assert SKIP_LINK[lang] in html, path
        assert not any(text in html for text in others), path


NOT_FOUND = {"nb": "Fant ikke siden", "nn": "Fann ikkje sida", "en": "Page not found"}


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_a_missing_page_is_the_sites_own_404_in_the_readers_language(db, lang):
    client = Client()
    client.cookies["django_language"] = lang
    for path in ("/no-such-page/", "/meetings/999999/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 404, path
        assert f'<html lang="{lang}">' in html and f"<h1>{NOT_FOUND[lang]}</h1>" in html, path
        assert SKIP_LINK[lang] in html and 'href="/archive/"' in html, path  # the site's frame, a way on


def test_it_renders_the_minutes_in_nynorsk(played):
    _council, meeting, _upcoming = played
    html = get(f"/meetings/{meeting.id}/minutes/?lang=nn", None, "nb")
    assert 'lang="nn"' in html and "Saker handsama" in html and "Møtet sett" in html
    assert "Saker behandlet" not in html


def test_the_language_chooser_lists_nynorsk(db):
    html = get("/", None, "nn")
    options = dict(re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', html))
    assert options == {"nb": "Norsk (bokmål)", "nn": "Norsk (nynorsk)", "en": "English"}  # each in its own words
    assert re.search(r'<option value="nn"[^>]* selected>', html)


@pytest.mark.parametrize(("lang", "text"), [("nb", "ser og hører"), ("nn", "ser og høyrer"), ("en", "sees and hears")])
def test_the_scripts_catalogue_is_the_pages_language(db, lang, text):
    client = Client()
    client.cookies["django_language"] = lang
    catalogue = client.get("/jsi18n/").content.decode()
    if lang == "en":
        assert "ser og h" not in catalogue  # English is the source: the catalogue holds no translation
    else:
        assert json.dumps(text)[1:-1] in catalogue or text in catalogue


# Errors ------------------------------------------------------------------------------------------

NOT_IN_SESSION = {
    "nb": "møtet er ikke satt (det er kunngjort, men ikke satt)",
    "nn": "møtet er ikkje sett (det er kunngjort, men ikkje sett)",
    "en": "the meeting is not in session (it is announced, not yet opened)",
}


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_a_rest_error_is_in_the_requests_language_with_the_same_code(db, lang):
    council = make_council(slug=f"re{lang}")
    meeting = make_meeting(council)  # notice published, not opened
    client = APIClient()
    client.force_authenticate(council.chair)
    r = client.post(f"/api/meetings/{meeting.id}/actions/item.open/", {"item_id": meeting.items.first().id},
                    format="json", HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "not_in_session", "message": NOT_IN_SESSION[lang]}


async def socket_error(path: str, headers: list[tuple[bytes, bytes]], item_id: int) -> dict:
    from asgi import application

    s = Socket("/")
    s.comm = WebsocketCommunicator(application, path, headers=[*ORIGIN, *headers])
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    reply = await s.call("item.open", item_id=item_id)
    await s.close()
    return reply


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("how", "lang"), [("accept", "nb"), ("accept", "en"), ("query", "en"), ("query", "nn"),
                                           ("cookie", "nn")])
async def test_a_socket_error_is_in_the_sockets_language_with_the_same_code(how, lang):
    council = await database_sync_to_async(make_council)(slug=f"se{how}{lang}")
    meeting = await database_sync_to_async(make_meeting)(council)
    token = await token_for(council.chair)
    path, headers = f"/ws/meetings/{meeting.id}/?token={token}", []
    if how == "accept":
        headers = [(b"accept-language", f"{lang},en;q=0.5".encode())]
    elif how == "query":
        path += f"&lang={lang}"
        headers = [(b"accept-language", b"nb")]  # the query parameter wins
    else:
        headers = [(b"cookie", f"django_language={lang}".encode()), (b"accept-language", b"en")]
    item_id = await database_sync_to_async(lambda: meeting.items.first().id)()
    reply = await socket_error(path, headers, item_id)
    assert reply["type"] == "error"
    assert reply["error"] == {"code": "not_in_session", "message": NOT_IN_SESSION[lang]}


# Dates and grounds -------------------------------------------------------------------------------

def test_it_formats_dates_through_djangos_formats_in_each_language():
    assert format_date("2026-12-01", "nb") == "1. desember 2026"
    assert format_date("2026-12-01", "nn") == "1. desember 2026"
    assert format_date("2026-12-01", "en") == "1 December 2026"
    assert format_datetime("2026-12-01T17:02:00+00:00", "nn") == "1. desember 2026 kl. 18.02"
    with translation.override("nb"):
        assert format_datetime("2026-12-01T17:02:00+00:00", "en") == "1 December 2026, 18:02"


def test_the_pages_dates_follow_the_language(played):
    _council, _meeting, upcoming = played
    day = upcoming.scheduled_start
    for lang in ("nb", "nn", "en"):
        assert format_date(day, lang) in get("/", None, lang)


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_grounds_are_words_in_each_language(lang):
    with translation.override(lang):
        words = {g: ground_words(g) for g in ClosureGround}
    assert all(g.value not in text and "§ 11-5" in text for g, text in words.items())
    assert ("personvern" if lang != "en" else "privacy") in words[ClosureGround.PRIVACY]


RAW_GROUND = re.compile(r"\b11-5-[23]-\w+")


def test_no_raw_ground_code_in_vote_titles_decisions_minutes_or_feeds(played):
    council, meeting, _upcoming = played
    m = minutes_services.minutes_build(meeting_id=meeting.id, public=False)
    closure_votes = [v for item in m["agenda_items"] for v in item.get("votes", []) if v.get("kind") == "closure"]
    assert closure_votes, "the demo meeting holds a closure vote"
    texts = [v.get("title", "") for v in closure_votes] + [i.get("decision") or "" for i in m["agenda_items"]]
    assert not any(RAW_GROUND.search(t) for t in texts), texts
    assert any("§ 11-5" in t for t in texts)
    client = Client()
    client.force_login(council.clerk)
    for lang in ("nb", "nn", "en"):
        html = client.get(f"/meetings/{meeting.id}/minutes/?lang={lang}").content.decode()
        assert "§ 11-5" in html and not RAW_GROUND.search(html), lang
    for path in (f"/meetings/{meeting.id}/", "/feeds/minutes.atom", "/feeds/meetings.ics"):
        assert not RAW_GROUND.search(Client().get(path).content.decode()), path


@pytest.mark.parametrize(("lang", "state"), [("nb", "Innkalling publisert"), ("nn", "Innkalling publisert"),
                                             ("en", "Notice published")])
def test_the_meetings_state_is_in_the_pages_language(played, lang, state):
    _council, _meeting, upcoming = played
    html = get(f"/meetings/{upcoming.id}/", None, lang)
    assert f'<span id="meeting-state">{state}</span>' in html
