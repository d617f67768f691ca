"""The minutes as a Noark 5 v5.0 extraction (arkivuttrekk) for the municipal archive.

`package(meeting)` writes a zip the archive can take in: `arkivstruktur.xml` (arkiv → arkivdel →
moetemappe → one moeteregistrering per item handled, and one for the møtebok itself with both of its
versions), the documents it names, and `arkivuttrekk.xml` (ADDML) describing the package with the
checksums of its files. Both versions of the møtebok go in: the internal one is the archive's
(variantformat "Arkivformat"), the public one is the version with exempt parts screened ("Dokument
hvor deler av innholdet er skjermet"). The package is for the archive only: it holds exempt content.

Every systemID is a UUID derived from the meeting and the element, so exporting the same meeting
twice gives the same identifiers, and the archive can tell a re-delivery from a new meeting.
Validated against Arkivverket's schemas (vendored in `minutes/noark5/`) before it is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone
from lxml import etree

from meetings.models import Meeting, MeetingEvent
from meetings.services.access import require_clerk

from . import render, services

SCHEMAS = Path(__file__).parent / "noark5"
N5 = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
ADDML = "http://www.arkivverket.no/standarder/addml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Our namespace for the UUIDs (uuid5): a constant, so the same meeting keeps its identifiers.
ID_NAMESPACE = uuid.UUID("6f0c6a52-5d0e-4d43-9a36-2f1f3c0b9a11")
ROLE_WORDS = {"member": "medlem", "chair": "møteleder", "deputy_chair": "nestleder", "deputy": "varamedlem"}
SYSTEM = "Digitale møter (automatisk arkivering)"  # opprettetAv/arkivertAv when no person did it


class InvalidExtraction(Exception):
    """The package we built does not validate: a bug here, never something to send to the archive."""


@dataclass(frozen=True)
class File:
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@cache
def schema(name: str) -> etree.XMLSchema:
    # arkivstruktur.xsd imports metadatakatalog.xsd by a relative location: parse from the folder.
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def validate(document: etree._Element, schema_name: str) -> None:
    xsd = schema(schema_name)
    if not xsd.validate(document):
        raise InvalidExtraction(f"{schema_name}: {xsd.error_log.last_error}")


def system_id(meeting: Meeting, *parts: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(["meeting", str(meeting.id), *map(str, parts)])))


def date_time(value: str | dt.datetime | None, fallback: dt.datetime) -> str:
    """xs:dateTime in Oslo time with its offset, as the minutes give times."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else (value or fallback)
    return timezone.localtime(moment).isoformat(timespec="seconds")


class _Writer:
    """Appends Noark elements in the schema's order; the schema check catches any slip."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def el(self, parent: etree._Element | None, tag: str, text: object = None, **attrs: str) -> etree._Element:
        name = f"{{{self.ns}}}{tag}"
        node = etree.Element(name, nsmap={None: self.ns, "xsi": XSI}) if parent is None \
            else etree.SubElement(parent, name)
        for key, value in attrs.items():
            node.set(f"{{{XSI}}}type" if key == "xsi_type" else key, value)
        if text is not None:
            node.text = str(text)
        return node

    def fields(self, parent: etree._Element, *pairs: tuple[str, object]) -> None:
        for tag, text in pairs:
            if text not in (None, ""):
                self.el(parent, tag, text)


def _actor_name(meeting: Meeting, event_type: str) -> str:
    event = (MeetingEvent.objects.filter(meeting=meeting, type=event_type, actor__isnull=False)
             .select_related("actor").order_by("seq").first())
    return event.actor.name if event is not None else SYSTEM


def arkivstruktur(meeting: Meeting, internal: dict[str, Any], files: dict[str, File]) -> etree._Element:
    """`arkivstruktur.xml` for one meeting. `internal` is the internal version of the minutes (it
    names every item, closed ones too); `files` the møtebok files by variant."""
    w = _Writer(N5)
    m = internal["meeting"]
    created = date_time(m.get("notice_published") or m.get("scheduled_start"), meeting.created_at)
    ended = date_time(m.get("ended"), timezone.now())
    clerk = _actor_name(meeting, "meeting.notice_published")
    body = meeting.body

    arkiv = w.el(None, "arkiv")
    w.fields(arkiv, ("systemID", system_id(meeting, "arkiv")),
             ("tittel", f"Møtebøker – {body.name}"),
             ("arkivstatus", "Avsluttet"), ("dokumentmedium", "Elektronisk arkiv"),
             ("opprettetDato", created), ("opprettetAv", clerk),
             ("avsluttetDato", ended), ("avsluttetAv", SYSTEM))
    skaper = w.el(arkiv, "arkivskaper")
    # The municipality's number (kommunenummer) identifies the record creator where it is known.
    w.fields(skaper, ("arkivskaperID", body.municipality.number or f"kommune-{body.municipality_id}"),
             ("arkivskaperNavn", body.municipality.name))

    del_ = w.el(arkiv, "arkivdel")
    w.fields(del_, ("systemID", system_id(meeting, "arkivdel")),
             ("tittel", f"{body.name}: {meeting.title}"),
             ("arkivdelstatus", "Avsluttet periode"), ("dokumentmedium", "Elektronisk arkiv"),
             ("opprettetDato", created), ("opprettetAv", clerk),
             ("avsluttetDato", ended), ("avsluttetAv", SYSTEM))

    mappe = w.el(del_, "mappe", xsi_type="moetemappe")
    w.fields(mappe, ("systemID", system_id(meeting, "mappe")),
             ("mappeID", f"{body.slug}/{meeting.id}"),
             ("tittel", meeting.title),
             ("dokumentmedium", "Elektronisk arkiv"),
             ("opprettetDato", created), ("opprettetAv", clerk),
             ("avsluttetDato", ended), ("avsluttetAv", SYSTEM))

    for number, item in enumerate(internal["agenda_items"], start=1):
        _item_registration(w, mappe, meeting, item, number, created, ended, clerk)
    _minutes_registration(w, mappe, meeting, files, created, ended, clerk)

    w.fields(mappe, ("moetenummer", str(meeting.id)), ("utvalg", body.name),
             ("moetedato", timezone.localtime(dt.datetime.fromisoformat(m["opened"])).date().isoformat()
              if m.get("opened") else timezone.localtime(meeting.scheduled_start).date().isoformat()),
             ("moetested", meeting.location or m.get("location", "")))
    for person in internal["attendance"]["present"]:
        deltaker = w.el(mappe, "moetedeltaker")
        w.fields(deltaker, ("moetedeltakerNavn", person["name"]),
                 ("moetedeltakerFunksjon", ROLE_WORDS.get(person.get("role", ""), person.get("role"))))
    validate(arkiv, "arkivstruktur.xsd")
    return arkiv


def _registration_head(w: _Writer, parent: etree._Element, sid: str, created: str, ended: str,
                       clerk: str) -> etree._Element:
    reg = w.el(parent, "registrering", xsi_type="moeteregistrering")
    w.fields(reg, ("systemID", sid), ("opprettetDato", created), ("opprettetAv", clerk),
             ("arkivertDato", ended), ("arkivertAv", SYSTEM))
    return reg


def _item_registration(w: _Writer, mappe: etree._Element, meeting: Meeting, item: dict[str, Any], number: int,
                       created: str, ended: str, clerk: str) -> None:
    """One moeteregistrering ("Vedtak") per item handled: the decision in `beskrivelse`; an item
    handled behind closed doors is screened, with its ground in words as skjermingshjemmel."""
    reg = _registration_head(w, mappe, system_id(meeting, "item", item["id"]), created, ended, clerk)
    ground = item.get("planned_closure_ground") or next(
        (s.get("ground") for s in item.get("closed_sessions") or [] if s.get("ground")), None)
    if ground:
        skjerming = w.el(reg, "skjerming")
        w.fields(skjerming, ("tilgangsrestriksjon", "Lukket møte"),
                 ("skjermingshjemmel", ground_words(ground)))
        w.el(skjerming, "skjermingMetadata", "tittel")
        w.el(skjerming, "skjermingMetadata", "beskrivelse")
    w.fields(reg, ("registreringsID", item.get("case_number") or str(number)),
             ("tittel", f"{item.get('case_number', '')} {item['title']}".strip()),
             ("offentligTittel", item.get("public_title") if ground else None),
             ("beskrivelse", item.get("decision")),
             ("moeteregistreringstype", "Vedtak"), ("moetesakstype", "Politisk sak"),
             ("administrativEnhet", meeting.body.name), ("saksbehandler", clerk))


def ground_words(ground: str) -> str:
    from .generator import ground_text  # the legal ground in words, as the minutes write it

    return ground_text(ground, "nb") or ground


def _minutes_registration(w: _Writer, mappe: etree._Element, meeting: Meeting, files: dict[str, File],
                          created: str, ended: str, clerk: str) -> None:
    reg = _registration_head(w, mappe, system_id(meeting, "motebok"), created, ended, clerk)
    doc = w.el(reg, "dokumentbeskrivelse")
    w.fields(doc, ("systemID", system_id(meeting, "motebok", "dokument")),
             ("dokumenttype", "Møtebok"), ("dokumentstatus", "Dokumentet er ferdigstilt"),
             ("tittel", f"Møtebok – {meeting.body.name}: {meeting.title}"),
             ("opprettetDato", ended), ("opprettetAv", SYSTEM),
             ("tilknyttetRegistreringSom", "Hoveddokument"), ("dokumentnummer", "1"),
             ("tilknyttetDato", ended), ("tilknyttetAv", SYSTEM))
    for variant, file in files.items():
        obj = w.el(doc, "dokumentobjekt")
        w.fields(obj, ("systemID", system_id(meeting, "motebok", file.name)), ("versjonsnummer", "1"),
                 ("variantformat", variant), ("format", "PDF"),
                 ("opprettetDato", ended), ("opprettetAv", SYSTEM),
                 ("referanseDokumentfil", f"dokumenter/{file.name}"),
                 ("sjekksum", file.sha256), ("sjekksumAlgoritme", "SHA256"),
                 ("filstoerrelse", len(file.content)))
    w.fields(reg, ("registreringsID", "møtebok"), ("tittel", f"Møtebok – {meeting.title}"),
             ("moeteregistreringstype", "Møtebok"), ("administrativEnhet", meeting.body.name),
             ("saksbehandler", clerk))


def addml(meeting: Meeting, files: list[File], internal: dict[str, Any]) -> etree._Element:
    """`arkivuttrekk.xml`: what the package is, who made it, and each file with its SHA256."""
    w = _Writer(ADDML)
    root = w.el(None, "addml")
    dataset = w.el(root, "dataset")
    w.el(dataset, "description", f"Noark 5-arkivuttrekk av møteboka: {meeting.body.name}, {meeting.title}")
    reference = w.el(dataset, "reference")
    context = w.el(reference, "context")
    extra = w.el(context, "additionalElements")
    for name, value in (("recordCreator", str(meeting.body.municipality.name)), ("systemType", "Noark5"),
                        ("systemName", "Digitale møter"), ("archivalDataset", str(meeting.id))):
        element = w.el(extra, "additionalElement", name=name)
        w.el(element, "value", value)
    content = w.el(reference, "content")
    extra = w.el(content, "additionalElements")
    period = w.el(extra, "additionalElement", name="archivalPeriod")
    props = w.el(period, "properties")
    for name, value in (("startDate", internal["meeting"].get("opened") or ""),
                        ("endDate", internal["meeting"].get("ended") or "")):
        prop = w.el(props, "property", name=name)
        w.el(prop, "value", value)
    objects = w.el(dataset, "dataObjects")
    whole = w.el(objects, "dataObject", name="Noark 5 arkivuttrekk")
    inner = w.el(whole, "dataObjects")
    for file in files:
        obj = w.el(inner, "dataObject", name=file.name)
        props = w.el(obj, "properties")
        prop = w.el(props, "property", name="file")
        sub = w.el(prop, "properties")
        for name, value in (("name", file.name), ("size", str(len(file.content)))):
            w.el(w.el(sub, "property", name=name), "value", value)
        checksum = w.el(sub, "property", name="checksum")
        values = w.el(checksum, "properties")
        w.el(w.el(values, "property", name="algorithm"), "value", "SHA256")
        w.el(w.el(values, "property", name="value"), "value", file.sha256)
    validate(root, "addml.xsd")
    return root


def xml_bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package(meeting: Meeting) -> bytes:
    """The archive package of a meeting whose minutes are published, as a zip."""
    services.require_published(meeting)
    internal = services.minutes_build(meeting_id=meeting.id, public=False)
    public = services.minutes_build(meeting_id=meeting.id, public=True)
    # The internal version is the archive's own; the public one has the exempt parts screened (M700).
    pdfs = {"Arkivformat": File("motebok-intern.pdf", render.to_pdf(internal, meeting_id=meeting.id)),
            "Dokument hvor deler av innholdet er skjermet":
                File("motebok.pdf", render.to_pdf(public, meeting_id=meeting.id))}
    structure = File("arkivstruktur.xml", xml_bytes(arkivstruktur(meeting, internal, pdfs)))
    documents = [File(f"dokumenter/{f.name}", f.content) for f in pdfs.values()]
    data = [File("dokumenter/motebok.json", render.to_json(public))]
    listed = [structure, *documents, *data]
    description = File("arkivuttrekk.xml", xml_bytes(addml(meeting, listed, internal)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for file in [description, *listed]:
            z.writestr(file.name, file.content)
    return out.getvalue()


def package_for_clerk(*, user: Any, meeting_id: int) -> bytes:
    """The package, for a clerk of the meeting's body only: it holds the internal version."""
    meeting = Meeting.objects.select_related("body__municipality").get(id=meeting_id)
    require_clerk(user=user, body_id=meeting.body_id)
    return package(meeting)
