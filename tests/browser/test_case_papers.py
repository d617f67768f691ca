"""In Chromium: the clerk uploads a public and an exempt paper from the clerk page (and gets a clear
refusal for a file that is not what it says), publishes the notice, and an anonymous reader gets the
public paper and a 404 for the exempt one."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT, assert_accessible, login
from tests.browser.helpers import api, token, wait_text

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n% saksframlegg\ntrailer <<>>\n%%EOF\n"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_clerk_uploads_papers_and_the_public_reads_only_the_public_one(browser, live_server_url, tmp_path):
    base = live_server_url
    clerk_token = token(base, "sekretar")
    body = next(b for b in api(base, "/api/bodies/")["results"] if b["slug"] == "formannskapet")
    meeting = api(base, "/api/meetings/", {"body_id": body["id"], "title": "Formannskapet (saksdokumenter)",
                                           "scheduled_start": "2026-12-10T18:00:00+01:00"}, clerk_token)["id"]
    item = api(base, f"/api/meetings/{meeting}/items/", {"case_number": "FS 9/26", "title": "Havneplan"},
               clerk_token)["id"]
    (tmp_path / "Saksframlegg FS 9.pdf").write_bytes(PDF)
    (tmp_path / "Vedlegg helse.pdf").write_bytes(PDF)
    (tmp_path / "ikke-pdf.pdf").write_bytes(b"MZ this is a program")

    clerk = login(browser, base, "sekretar")
    clerk.goto(f"{base}/clerk/meetings/{meeting}/")

    def upload(path, title: str, basis: str = "") -> None:
        clerk.click("#agenda-h ~ ol details.upload summary")
        clerk.fill(f"#paper-title-{item}", title)
        clerk.set_input_files(f"#paper-file-{item}", str(path))
        if basis:
            clerk.check(f"#paper-exempt-{item}")
            clerk.fill(f"#paper-basis-{item}", basis)
        with clerk.expect_navigation():
            clerk.click(f"details.upload:has(#paper-file-{item}) button[type=submit]")

    upload(tmp_path / "ikke-pdf.pdf", "Feil fil")
    expect(clerk.locator("ul.messages")).to_contain_text("PDF")
    upload(tmp_path / "Saksframlegg FS 9.pdf", "Saksframlegg")
    wait_text(clerk, "ul.messages", "lastet opp")
    upload(tmp_path / "Vedlegg helse.pdf", "Legeerklæring", basis="offentleglova § 13 første ledd")
    agenda = clerk.locator("#agenda-h ~ ol")
    expect(agenda).to_contain_text("Saksframlegg")
    expect(agenda).to_contain_text("offentleglova § 13 første ledd")
    assert "Feil fil" not in agenda.inner_text()
    assert_accessible(clerk, "clerk meeting page with papers")

    clerk.fill("#notice_text", "Formannskapet innkalles.")
    clerk.click("button:has-text('11-3')")
    wait_text(clerk, "ul.messages", "Innkallingen er publisert")

    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    public.goto(f"{base}/meetings/{meeting}/")
    link = public.locator("ul.documents a", has_text="Saksframlegg")
    expect(link).to_be_visible()
    assert "Legeerklæring" not in public.inner_text("main")
    href = link.get_attribute("href")
    with urllib.request.urlopen(base + href, timeout=15) as response:
        assert response.read() == PDF and response.headers["Content-Type"] == "application/pdf"
    papers = api(base, f"/api/meetings/{meeting}/items/", token=clerk_token)
    exempt = next(d for i in papers for d in i["documents"] if d["title"] == "Legeerklæring")
    assert status(base + exempt["file"]) == 404
    with public.expect_download() as download:
        public.click("a[href$='papers.zip']")
    assert download.value.suggested_filename == f"saksdokumenter-{meeting}.zip"
