"""Case papers: the clerk uploads PDF and office files to an item, public or exempt with a legal
basis; type and size are checked with a clear refusal; the public reads a public paper once the
notice is out and gets 404 for an exempt one (no hint that it exists); members read both; "all
papers" is one zip of what the reader may read."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from meetings.exceptions import InvalidInput
from meetings.models import Document
from meetings.services import agenda, meetings
from tests.factories import make_council, make_meeting

PDF = b"%PDF-1.7\n% a small case paper\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 64  # an OOXML file is a zip container


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def meeting(db):
    council = make_council(seats=5, deputies=1, slug="papers")
    m = make_meeting(council, items=2, publish=False)
    return council, m


def upload(client: Client, meeting, item, name: str, content: bytes, **fields):
    return client.post(f"/clerk/meetings/{meeting.id}/", {
        "action": "upload_paper", "item": item.id, "title": fields.pop("title", ""),
        "file": SimpleUploadedFile(name, content), **fields}, follow=True)


def test_the_clerk_uploads_public_and_exempt_papers_and_each_reader_gets_what_the_law_allows(meeting):
    council, m = meeting
    first, second = m.items.order_by("order")
    clerk = Client()
    clerk.force_login(council.clerk)
    page = upload(clerk, m, first, "Saksframlegg PS 1.pdf", PDF, title="Saksframlegg")
    assert "Saksframlegg" in page.content.decode()
    upload(clerk, m, first, "Helseopplysninger.pdf", PDF, title="Legeerklæring", exempt="1",
           exemption_basis="offentleglova § 13 første ledd, jf. forvaltningsloven § 13 første ledd nr. 1")
    upload(clerk, m, second, "Budsjett.docx", DOCX, title="Budsjettvedlegg")
    public_paper, exempt_paper = Document.objects.get(title="Saksframlegg"), Document.objects.get(title="Legeerklæring")
    assert exempt_paper.public is False and exempt_paper.exemption_basis.startswith("offentleglova § 13")
    assert public_paper.size == len(PDF) and public_paper.content_type == "application/pdf"

    anonymous, member = Client(), Client()
    member.force_login(council.members[0])
    url = f"/meetings/{m.id}/papers/{public_paper.id}/"
    exempt_url = f"/meetings/{m.id}/papers/{exempt_paper.id}/"
    # Before the notice the public sees nothing of the meeting's papers; members see them all.
    assert anonymous.get(url).status_code == 404
    assert b"".join(member.get(exempt_url).streaming_content) == PDF

    meetings.meeting_publish_notice(user=council.clerk, meeting_id=m.id, notice_text="Innkalling")
    response = anonymous.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF and "public" in response["Cache-Control"]
    assert anonymous.get(exempt_url).status_code == 404  # exempt: the same answer as no such paper
    assert anonymous.get(f"/meetings/{m.id}/papers/999999/").status_code == 404
    exempt = member.get(exempt_url)
    assert exempt.status_code == 200 and "no-store" in exempt["Cache-Control"]

    # The notice lists the public papers, with a link to all of them as one zip.
    notice = anonymous.get(f"/meetings/{m.id}/").content.decode()
    assert url in notice and exempt_url not in notice and "Legeerklæring" not in notice
    assert f"/meetings/{m.id}/papers.zip" in notice
    with zipfile.ZipFile(io.BytesIO(anonymous.get(f"/meetings/{m.id}/papers.zip").content)) as z:
        names = z.namelist()
    assert len(names) == 2 and any(n.endswith("Saksframlegg PS 1.pdf") for n in names)
    assert not any("Helse" in n for n in names)
    with zipfile.ZipFile(io.BytesIO(member.get(f"/meetings/{m.id}/papers.zip").content)) as z:
        assert len(z.namelist()) == 3 and z.read(next(n for n in z.namelist() if "Helse" in n)) == PDF

    # The REST agenda names the file for whoever may read it.
    items = anonymous.get(f"/api/meetings/{m.id}/items/").json()
    files = [d["file"] for i in (items["results"] if isinstance(items, dict) else items) for d in i["documents"]]
    assert url in files and exempt_url not in files


@pytest.mark.parametrize("name,content,code", [
    ("virus.exe", b"MZ\x90\x00", "paper_type"),
    ("renamed.pdf", b"MZ\x90\x00 not a pdf", "paper_type"),
    ("tom.pdf", b"", "paper_empty"),
    ("stor.pdf", PDF + b"x" * 2048, "paper_too_large"),
])
def test_it_refuses_a_file_of_the_wrong_type_or_size_and_says_why(meeting, settings, name, content, code):
    council, m = meeting
    settings.PAPER_MAX_BYTES = 1024
    item = m.items.first()
    with pytest.raises(InvalidInput) as refused:
        agenda.paper_upload(user=council.clerk, item_id=item.id, title="", upload=SimpleUploadedFile(name, content))
    assert refused.value.code == code
    # From the clerk page: the refusal in the page, nothing stored.
    clerk = Client()
    clerk.force_login(council.clerk)
    page = upload(clerk, m, item, name, content).content.decode()
    assert 'class="messages"' in page and Document.objects.count() == 0


def test_an_exempt_paper_needs_its_legal_basis_and_only_a_clerk_uploads(meeting):
    council, m = meeting
    item = m.items.first()
    with pytest.raises(InvalidInput) as refused:
        agenda.paper_upload(user=council.clerk, item_id=item.id, title="X", public=False,
                            upload=SimpleUploadedFile("x.pdf", PDF))
    assert refused.value.code == "exemption_basis_missing"
    member = Client()
    member.force_login(council.members[0])
    assert upload(member, m, item, "x.pdf", PDF).status_code == 404  # not a clerk of this body
    assert Document.objects.count() == 0


def test_a_file_name_cannot_escape_its_folder(meeting):
    council, m = meeting
    paper = agenda.paper_upload(user=council.clerk, item_id=m.items.first().id, title="",
                                upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF))
    assert paper.file_name == "passwd.pdf" and ".." not in paper.file.name and paper.title == "passwd"
