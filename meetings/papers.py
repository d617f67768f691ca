"""Case papers (saksdokumenter) uploaded to an agenda item: what may be uploaded, and who may read one.

A paper is public or exempt. Who may read it is the visibility policy's question
(`Document.objects.public()`: an exempt paper, or one with an exemption basis, is never public) asked
once here, for the single file, the zip of all papers and the lists in the pages alike: the public
reads a public paper once the notice is out (§ 11-3); the body's members and clerks read every paper
of their meetings. Anyone else gets "no such paper", never a hint that an exempt one exists.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from . import selectors
from .exceptions import InvalidInput
from .models import Document, Meeting


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    magic: bytes  # the file's first bytes, so a renamed file is refused for what it is


# PDF, and the office formats a clerk gets from the case officers (OOXML and ODF are zip containers).
KINDS = {k.extension: k for k in [
    Kind("pdf", "application/pdf", b"%PDF-"),
    Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", b"PK\x03\x04"),
    Kind("odt", "application/vnd.oasis.opendocument.text", b"PK\x03\x04"),
    Kind("ods", "application/vnd.oasis.opendocument.spreadsheet", b"PK\x03\x04"),
    Kind("odp", "application/vnd.oasis.opendocument.presentation", b"PK\x03\x04"),
]}


def max_bytes() -> int:
    return int(getattr(settings, "PAPER_MAX_BYTES", 25 * 1024 * 1024))


def safe_name(name: str) -> str:
    """The uploaded name, kept readable (Norwegian letters too) but without paths or controls."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]", "", name).strip(" .")
    return name[-150:] or "dokument"


def check_upload(upload: Any) -> tuple[Kind, str, bytes]:
    """The kind, the safe name and the content of an uploaded file, or InvalidInput saying why not."""
    if upload is None:
        raise InvalidInput("choose a file to upload", code="paper_missing")
    name = safe_name(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = KINDS.get(extension)
    if kind is None:
        raise InvalidInput("a case paper must be one of: %(values)s",
            params={"values": ', '.join(KINDS)}, code="paper_type")
    if upload.size > max_bytes():
        raise InvalidInput("a case paper may be at most %(megabytes)s MB",
            params={"megabytes": max_bytes() // (1024 * 1024)}, code="paper_too_large")
    content = upload.read()
    if not content:
        raise InvalidInput("the file is empty", code="paper_empty")
    if not content.startswith(kind.magic):
        raise InvalidInput("the file is not a %(kind)s file", params={"kind": extension.upper()}, code="paper_type")
    return kind, name, content


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def readable(*, user: Any, meeting: Meeting) -> QuerySet[Document]:
    """The papers of `meeting` that `user` may read (see the module's docstring)."""
    papers = Document.objects.filter(item__meeting=meeting).select_related("item").order_by("item__order", "id")
    if selectors.is_participant(user=user, meeting=meeting):
        return papers
    if meeting.notice_published_at is None:
        return papers.none()
    return papers & Document.objects.public()


def readable_paper(*, user: Any, meeting: Meeting, document_id: int) -> Document | None:
    return readable(user=user, meeting=meeting).filter(id=document_id).exclude(file="").first()


def zip_of(papers: QuerySet[Document]) -> bytes:
    """Every uploaded paper in one zip, in agenda order, each under its case number."""
    out = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for paper in papers.exclude(file=""):
            folder = safe_name(f"{paper.item.order:02d} {paper.item.case_number}".replace("/", "-"))
            name = f"{folder}/{paper.file_name or 'dokument'}"
            while name in used:
                stem, dot, ext = name.rpartition(".")
                name = f"{stem} (2){dot}{ext}" if dot else f"{name} (2)"
            used.add(name)
            with paper.file.open("rb") as f:
                z.writestr(name, f.read())
    return out.getvalue()
