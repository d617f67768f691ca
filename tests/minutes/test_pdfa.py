"""The møtebok PDF is PDF/A-3a: archival (XMP identification, an output intent, every font embedded),
tagged for screen readers (a structure tree, marked content, the language), dated by the meeting
itself, with page numbers; and the same log gives the same bytes."""

from __future__ import annotations

import io
import re

from django.test import Client
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from minutes import render, services


def resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def fonts(reader: PdfReader) -> list[dict]:
    found = []
    for page in reader.pages:
        for font in resolve(resolve(page["/Resources"]).get("/Font", {})).values():
            font = resolve(font)
            for descendant in font.get("/DescendantFonts", [font]):
                found.append(resolve(descendant))
    return found


def test_the_minutes_pdf_is_pdf_a_3a_with_embedded_fonts_tags_and_page_numbers(played):
    _, meeting = played
    response = Client().get(f"/meetings/{meeting.id}/minutes.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]

    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    intents = [resolve(i) for i in root["/OutputIntents"]]
    assert any(i["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents)
    assert fonts(reader) and all(
        any(k in resolve(f["/FontDescriptor"]) for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        for f in fonts(reader) if "/FontDescriptor" in f), "every font is embedded"

    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root and root["/Lang"] == "nb"

    # Dated by the meeting's end, as the log records it (never 2000-01-01 or the time of rendering).
    ended = services.minutes_build(meeting_id=meeting.id, public=True)["meeting"]["ended"]
    assert reader.metadata["/CreationDate"].startswith("D:" + re.sub(r"\D", "", ended[:19]))
    assert "Møtebok" in reader.metadata["/Title"] and meeting.title in reader.metadata["/Title"]

    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        assert f"Side {number} / {pages}" in page.extract_text()


def test_the_same_log_gives_the_same_pdf(played):
    _, meeting = played
    data = services.minutes_build(meeting_id=meeting.id, public=True)
    assert render.to_pdf(data, meeting_id=meeting.id) == render.to_pdf(data, meeting_id=meeting.id)
