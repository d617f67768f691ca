"""Export a meeting's published minutes for the municipal archive: a Noark 5-style package
(the PDF, the JSON and XML metadata in the shape of an arkivuttrekk: mappe → registrering → dokument)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.management.base import BaseCommand, CommandError

from meetings.exceptions import DomainError
from meetings.models import Meeting
from minutes import render, services


def metadata_xml(meeting: Meeting, data: dict, pdf: bytes) -> str:
    m = data["meeting"]
    items = "".join(
        f"<registrering><tittel>{escape(i['case_number'] + ' ' + i['title'])}</tittel>"
        f"<skjerming>{'ja' if i['closed_sessions'] else 'nei'}</skjerming></registrering>"
        for i in data["agenda_items"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<arkivuttrekk xmlns="http://www.arkivverket.no/standarder/noark5/arkivstruktur">'
        f"<mappe><mappeID>moete-{meeting.id}</mappeID><tittel>{escape(meeting.title)}</tittel>"
        f"<administrativEnhet>{escape(m.get('body', ''))}</administrativEnhet>"
        f"<moetedato>{escape(str(m.get('opened', '')))}</moetedato>"
        f"<moetested>{escape(m.get('location', ''))}</moetested>"
        f"{items}<dokumentbeskrivelse><tittel>Møtebok</tittel><dokumentobjekt><format>PDF</format>"
        f"<filnavn>motebok.pdf</filnavn><sjekksum>{hashlib.sha256(pdf).hexdigest()}</sjekksum>"
        f"<sjekksumAlgoritme>SHA-256</sjekksumAlgoritme></dokumentobjekt></dokumentbeskrivelse>"
        f"<loggsjekksum>{data['log']['last_digest']}</loggsjekksum></mappe></arkivuttrekk>\n")


class Command(BaseCommand):
    help = "Write the archive package (PDF + JSON + Noark 5-style XML) of a meeting's published minutes."

    def add_arguments(self, parser):
        parser.add_argument("meeting", type=int)
        parser.add_argument("--out", default=".", help="directory for motebok-<id>.zip")

    def handle(self, *args, meeting: int, out: str, **options):
        m = Meeting.objects.filter(id=meeting).first()
        if m is None:
            raise CommandError(f"meeting {meeting} does not exist")
        try:
            services.require_published(m)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        data = services.minutes_build(meeting_id=meeting, public=True)
        pdf = render.to_pdf(data)
        target = Path(out) / f"motebok-{meeting}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("motebok.pdf", pdf)
            z.writestr("motebok.json", render.to_json(data))
            z.writestr("arkivuttrekk.xml", metadata_xml(m, data, pdf))
        self.stdout.write(self.style.SUCCESS(f"wrote {target}"))
