"""The archive package is a Noark 5 v5.0 extraction that Arkivverket's schemas accept, with both
versions of the møtebok, checksums that match the files, and stable identifiers; only a clerk of
the body gets it, from the clerk pages."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from lxml import etree

from minutes import noark5

N = {"n5": noark5.N5, "a": noark5.ADDML, "xsi": noark5.XSI}


def unpack(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_package_validates_against_arkivverkets_schemas_and_its_checksums_match(played):
    council, meeting = played
    files = unpack(noark5.package(meeting))
    structure = etree.fromstring(files["arkivstruktur.xml"])
    assert noark5.schema("arkivstruktur.xsd").validate(structure), noark5.schema("arkivstruktur.xsd").error_log
    description = etree.fromstring(files["arkivuttrekk.xml"])
    assert noark5.schema("addml.xsd").validate(description)

    assert structure.tag == f"{{{noark5.N5}}}arkiv"
    mappe = structure.find("n5:arkivdel/n5:mappe", N)
    assert mappe.get(f"{{{noark5.XSI}}}type") == "moetemappe"
    registrations = mappe.findall("n5:registrering", N)
    assert all(r.get(f"{{{noark5.XSI}}}type") == "moeteregistrering" for r in registrations)
    titles = [r.findtext("n5:tittel", namespaces=N) for r in registrations]
    assert any("Kommunal planstrategi" in t for t in titles) and titles[-1].startswith("Møtebok")

    # The item handled behind closed doors is screened, its ground in words (never a raw code).
    grounds = [g.text for g in structure.findall(".//n5:skjerming/n5:skjermingshjemmel", N)]
    assert grounds and all("§ 11-5" in g and "11-5-" not in g for g in grounds), grounds

    # Both versions of the møtebok, each file's SHA256 and size as the structure states them.
    objects = structure.findall(".//n5:dokumentobjekt", N)
    variants = {o.findtext("n5:variantformat", namespaces=N): o for o in objects}
    assert set(variants) == {"Arkivformat", "Dokument hvor deler av innholdet er skjermet"}
    for o in objects:
        content = files[o.findtext("n5:referanseDokumentfil", namespaces=N)]
        assert o.findtext("n5:sjekksumAlgoritme", namespaces=N) == "SHA256"
        assert o.findtext("n5:sjekksum", namespaces=N) == hashlib.sha256(content).hexdigest()
        assert int(o.findtext("n5:filstoerrelse", namespaces=N)) == len(content)
        assert content.startswith(b"%PDF")
    # The ADDML description lists every other file of the package with its checksum.
    listed = {d.get("name"): d for d in description.findall(".//a:dataObject", N)}
    for name, content in files.items():
        if name == "arkivuttrekk.xml":
            continue
        value = listed[name].find(".//a:property[@name='checksum']//a:property[@name='value']/a:value", N).text
        assert value == hashlib.sha256(content).hexdigest(), name


def test_it_keeps_the_same_identifiers_when_the_meeting_is_exported_again(played):
    _, meeting = played
    ids = [etree.fromstring(unpack(noark5.package(meeting))["arkivstruktur.xml"]).xpath(
        "//n5:systemID/text()", namespaces=N) for _ in range(2)]
    assert ids[0] == ids[1] and len(set(ids[0])) == len(ids[0]) > 5


def test_a_package_the_schema_refuses_is_never_written(played):
    _, meeting = played
    broken = etree.fromstring(unpack(noark5.package(meeting))["arkivstruktur.xml"])
    broken.remove(broken.find("n5:tittel", N))
    with pytest.raises(noark5.InvalidExtraction, match="tittel"):
        noark5.validate(broken, "arkivstruktur.xsd")


def test_only_a_clerk_of_the_body_downloads_it_from_the_clerk_pages(played):
    council, meeting = played
    url = f"/clerk/meetings/{meeting.id}/noark5.zip"
    assert Client().get(url).status_code in (302, 403)
    member = Client()
    member.force_login(council.members[0])
    assert member.get(url).status_code == 403
    clerk = Client()
    clerk.force_login(council.clerk)
    page = clerk.get(f"/clerk/meetings/{meeting.id}/").content.decode()
    assert url in page
    response = clerk.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "arkivstruktur.xml" in unpack(b"".join(response.streaming_content)
                                         if response.streaming else response.content)


def test_the_command_writes_the_same_package(played, tmp_path):
    _, meeting = played
    call_command("export_minutes", meeting.id, "--out", str(tmp_path))
    files = unpack((tmp_path / f"motebok-{meeting.id}.zip").read_bytes())
    assert {"arkivuttrekk.xml", "arkivstruktur.xml", "dokumenter/motebok.pdf",
            "dokumenter/motebok-intern.pdf", "dokumenter/motebok.json"} <= set(files)
