"""How the minutes read: local times, the site layout, translated labels, the open-data JSON, iCal."""

from __future__ import annotations

import io
import re
from typing import Any

from django.test import Client
from django.utils import translation

from meetings.models import Meeting, MeetingEvent, Person
from minutes.labels import format_datetime

ISO_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
TIME_KEYS = {"at", "from", "to", "opened", "ended", "start", "end", "closed_at", "notice_published",
             "scheduled_start"}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in [(f"{path}.{k}", v), *walk(v, f"{path}.{k}")]]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in walk(v, f"{path}[{i}]")]
    return []


def test_it_formats_times_in_oslo_time_whatever_the_active_language():
    winter, summer = "2026-11-25T17:02:59.123456+00:00", "2026-06-01T16:02:00+00:00"
    with translation.override("en"):  # the request's language must not leak into the minutes' language
        assert format_datetime(winter, "nb") == "25. november 2026 kl. 18.02"
    with translation.override("nb"):
        assert format_datetime(winter, "en") == "25 November 2026, 18:02"
    assert format_datetime(summer, "nb") == "1. juni 2026 kl. 18.02"  # CEST, +02:00


def test_it_shows_no_raw_utc_times_in_the_html_or_pdf(played):
    council, meeting = played
    c = Client()
    html = c.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    pdf = pdf_text(c.get(f"/meetings/{meeting.id}/minutes.pdf").content)
    for text in (html, pdf):
        assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", text) and "+00:00" not in text
    assert re.search(r"\d{1,2}\. \w+ \d{4} kl\. \d\d\.\d\d", html) and " kl. " in pdf
    english = c.get(f"/meetings/{meeting.id}/minutes/?lang=en").content.decode()
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d", english)


def test_it_places_the_minutes_and_the_archive_in_the_site_layout(played):
    council, meeting = played
    c = Client()
    for url in (f"/meetings/{meeting.id}/minutes/", "/archive/"):
        page = c.get(url).content.decode()
        assert '<nav aria-label=' in page and 'action="/i18n/setlang/"' in page and '<main id="main"' in page
    missing = c.get("/meetings/999999/minutes/")
    assert missing.status_code == 404 and 'action="/i18n/setlang/"' in missing.content.decode()
    assert "Møtet finnes ikke." in missing.content.decode()
    assert "There is no such meeting." in c.get("/meetings/999999/minutes/?lang=en").content.decode()


def test_it_translates_the_minutes_without_hard_coded_norwegian(played):
    council, meeting = played
    c = Client()
    nb = c.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    en = c.get(f"/meetings/{meeting.id}/minutes/?lang=en").content.decode()
    assert '<html lang="nb">' in nb and '<html lang="en">' in en
    assert ">Navn<" in nb and ">Parti<" in nb and ">Mot<" in nb
    for word in (">Navn<", ">Parti<", ">Rolle<", ">Mot<", "Vedtak", "Saker behandlet", "Møteleder"):
        assert word not in en, word
    assert ">Name<" in en and ">Against<" in en and "Cases handled" in en
    # the session's language choice (the layout's switch) is honoured without ?lang=
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Cases handled" in c.get(f"/meetings/{meeting.id}/minutes/").content.decode()
    archive = Client().get("/archive/?lang=en").content.decode()
    assert "Recording" in archive and "Innkalling" not in archive


def test_it_publishes_json_with_stable_ids_codes_and_local_iso_times(played):
    council, meeting = played
    c = Client()
    raw = c.get(f"/meetings/{meeting.id}/minutes.json").content
    assert raw == c.get(f"/meetings/{meeting.id}/minutes.json").content  # deterministic
    data = c.get(f"/meetings/{meeting.id}/minutes.json").json()
    assert data["meeting"]["id"] == f"meeting:{meeting.id}" and data["timezone"] == "Europe/Oslo"
    item_ids = {f"item:{pk}" for pk in meeting.items.values_list("id", flat=True)}
    assert {i["id"] for i in data["agenda_items"]} == item_ids
    persons = {f"person:{pk}" for pk in Person.objects.values_list("id", flat=True)}
    votes = [v for i in data["agenda_items"] for v in i["votes"] if not v["redacted"]]
    assert [v["id"] for v in votes][:2] == [f"meeting:{meeting.id}/vote:1", f"meeting:{meeting.id}/vote:2"]
    first = data["agenda_items"][0]
    assert first["proposals"][0]["id"] == f"meeting:{meeting.id}/proposal:1"
    assert first["votes"][0]["proposals"] == [f"meeting:{meeting.id}/proposal:1"]
    assert first["proposals"][0]["proposer_id"] in persons
    for v in votes:
        assert {b["voter_id"] for b in v["votes"]} <= persons and v["votes"]
        assert {c["option"] for c in v["counts"]} == set(v["options"])
    tie = data["agenda_items"][1]["votes"][0]
    assert tie["options"] == ["for", "against"] and {b["option"] for b in tie["votes"]} == {"for", "against"}
    assert "blank" in data["agenda_items"][5]["votes"][0]["options"]
    times = [(path, value) for path, value in walk(data) if path.rsplit(".", 1)[-1] in TIME_KEYS and value]
    assert len(times) > 50
    bad = [(path, value) for path, value in times if not ISO_LOCAL.match(value)]
    assert not bad, bad[:3]
    # the same data in English: codes and ids do not change with the language
    en = c.get(f"/meetings/{meeting.id}/minutes.json?lang=en").json()
    assert [v["id"] for i in en["agenda_items"] for v in i["votes"]] == [
        v["id"] for i in data["agenda_items"] for v in i["votes"]]
    assert en["agenda_items"][1]["votes"][0]["votes"] == tie["votes"]


def test_it_folds_ical_lines_and_ends_a_held_meeting_when_its_log_says(played):
    council, meeting = played
    long_title = "Ekstraordinært møte om økonomiplan, årsbudsjett og særskilte tiltak for å bedre økonomien i år"
    Meeting.objects.filter(id=meeting.id).update(title=long_title)
    raw = Client().get("/feeds/meetings.ics").content
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    raw.decode()  # folding never splits a UTF-8 character
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert f"SUMMARY:{council.body.name}: {long_title}".replace(",", "\\,") in unfolded
    ended = MeetingEvent.objects.get(meeting=meeting, type="meeting.ended").at
    block = next(b for b in unfolded.split("BEGIN:VEVENT") if f"UID:meeting-{meeting.id}@" in b).split("END:VEVENT")[0]
    assert f"DTEND:{ended:%Y%m%dT%H%M%SZ}" in block  # the actual end, not start + 3 h
    # And it parses: a calendar application reads the same title and times.
    import icalendar

    event = next(e for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")
                 if str(e["uid"]).startswith(f"meeting-{meeting.id}@"))
    assert str(event["summary"]) == f"{council.body.name}: {long_title}"
    assert event.decoded("dtend") == ended.replace(microsecond=0)
