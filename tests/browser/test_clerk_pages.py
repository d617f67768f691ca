"""The clerk's pages in a real browser: set up a meeting and its agenda, publish the notice, and after
the meeting review the minutes, add a correction and publish them."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT, assert_accessible, login
from tests.browser.helpers import api, token, wait_text

pytestmark = pytest.mark.browser


def test_it_takes_a_meeting_from_set_up_to_published_minutes(browser, live_server_url, screenshot):
    base = live_server_url
    clerk = login(browser, base, "sekretar")

    # The council gives the clerk two days to review minutes (Django admin: bodies are set up there).
    clerk.goto(f"{base}/admin/meetings/body/?q=kommunestyret")
    clerk.click("#result_list a:has-text('Kommunestyret')")
    clerk.fill("#id_minutes_review_hours", "48")
    with clerk.expect_navigation():
        clerk.click("input[name=_save]")
    expect(clerk.locator("ul.messagelist")).to_contain_text(re.compile("endret|changed"))

    # A new meeting from the clerk's page.
    clerk.goto(f"{base}/clerk/")
    assert_accessible(clerk, "clerk start page")
    clerk.select_option("#id_body", label="Kommunestyret")
    clerk.fill("#id_title", "Ekstraordinært kommunestyre")
    # The datetime-local field takes the wall clock of the project's time zone, without an offset.
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=18, minute=0, tzinfo=None)
    clerk.fill("#id_scheduled_start", start.strftime("%Y-%m-%dT%H:%M"))
    clerk.select_option("#id_form", "remote")
    clerk.click("main form button[type=submit]")
    clerk.wait_for_url("**/clerk/meetings/*/")
    meeting = int(clerk.url.rstrip("/").split("/")[-1])
    assert "Ekstraordinært kommunestyre" in clerk.inner_text("h1")

    def add_item(case: str, title: str, ground: str = "", public_title: str = "") -> None:
        clerk.fill("#id_case_number", case)
        clerk.fill("#id_title", title)
        clerk.fill("#id_recommendation", f"{title}: rådmannens innstilling vedtas.")
        clerk.select_option("#id_planned_closure_ground", ground)
        clerk.fill("#id_public_title", public_title)
        clerk.click("button:has-text('Legg til sak')")
        clerk.wait_for_load_state()

    add_item("PS 60/26", "Reguleringsplan for Sjøgata")
    add_item("PS 61/26", "Søknad om skjenkebevilling for Per Hansen", "11-5-3-a", "Søknad om skjenkebevilling")
    # A case that must be closed (§ 11-5 (2)) cannot go on a remote meeting (§ 11-7 (3)): a clear refusal.
    add_item("PS 62/26", "Tjenstlige forhold", "11-5-2-employee", "Personalsak")
    wait_text(clerk, "ul.messages", "§ 11-7")
    agenda = clerk.inner_text("#agenda-h + ol")
    assert "PS 60/26" in agenda and "PS 61/26" in agenda and "PS 62/26" not in agenda

    # Agenda work before the notice: edit an item, move it, set the place.
    def edit_title(case: str, title: str) -> None:
        edit = clerk.locator("details.edit-item", has_text=f"Rediger {case}")
        edit.locator("summary").click()
        edit.get_by_label("Tittel", exact=True).fill(title)
        edit.get_by_role("button", name="Lagre saken").click()
        wait_text(clerk, "ul.messages", "Saken er lagret")

    edit_title("PS 60/26", "Reguleringsplan for Sjøgata og Torget")
    clerk.get_by_role("button", name="Flytt PS 61/26 opp").click()
    wait_text(clerk, "ul.messages", "Saken er flyttet")
    agenda = clerk.inner_text("#agenda-h + ol")
    assert agenda.index("PS 61/26") < agenda.index("PS 60/26") and "Sjøgata og Torget" in agenda
    clerk.get_by_role("button", name="Flytt PS 61/26 ned").click()
    wait_text(clerk, "ul.messages", "Saken er flyttet")
    agenda = clerk.inner_text("#agenda-h + ol")
    assert agenda.index("PS 60/26") < agenda.index("PS 61/26")
    clerk.fill("#location", "Digitalt møterom og kommunestyresalen")
    clerk.get_by_role("button", name="Lagre stedet").click()
    wait_text(clerk, "ul.messages", "Stedet er lagret")

    clerk.fill("#notice_text", "Kommunestyret innkalles til ekstraordinært fjernmøte.")
    clerk.click("button:has-text('11-3')")
    wait_text(clerk, "ul.messages", "Innkallingen er publisert")
    screenshot(clerk, "clerk-meeting-notice", full_page=False)
    assert_accessible(clerk, "clerk meeting page, notice published")
    # After the notice a correction is a logged, public change.
    edit_title("PS 60/26", "Reguleringsplan for Sjøgata, Torget og havna")
    changes = api(base, f"/api/meetings/{meeting}/events/?limit=100")["results"]
    assert [e["payload"]["title"] for e in changes if e["type"] == "item.corrected"] == [
        "Reguleringsplan for Sjøgata, Torget og havna"]

    # The public sees the notice, with the public title of the case planned for closed doors.
    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    public.goto(f"{base}/meetings/{meeting}/")
    main = public.inner_text("main")
    assert "ekstraordinært fjernmøte" in main and "Søknad om skjenkebevilling" in main and "Per Hansen" not in main

    # The meeting is held (here over the REST API, as the chair's client would) and ends.
    chair = token(base, "ordforer")

    def chair_does(command: str, **payload) -> dict:
        return api(base, f"/api/meetings/{meeting}/actions/{command}/", payload, chair)

    items = api(base, f"/api/meetings/{meeting}/items/", token=chair)
    chair_does("meeting.open")
    chair_does("member.join")
    # The clerk's open page follows the meeting without a reload: status and who is present.
    wait_text(clerk, "#health", "Møtet pågår")
    wait_text(clerk, "#health table", "Kari Hansen")
    chair_does("item.open", item_id=items[0]["id"])
    chair_does("item.close", item_id=items[0]["id"])
    chair_does("meeting.end")

    # Review: the minutes wait for the clerk; the internal version is there to read.
    clerk.reload()
    wait_text(clerk, "#minutes-h + p", "Til gjennomsyn")
    clerk.click("text=Gjennomgå (intern versjon)")
    assert "PS 60/26" in clerk.inner_text("main")
    clerk.go_back()
    clerk.fill("#section", "PS 60/26")
    clerk.fill("#correction", "Rettelse: møtet ble satt kl. 18.05, ikke 18.00.")
    clerk.click("button:has-text('Legg til rettelse')")
    wait_text(clerk, "ul.messages", "Rettelsen er lagt til")
    clerk.click("button:has-text('Publiser nå')")
    wait_text(clerk, "ul.messages", "Møteboken er publisert")
    wait_text(clerk, "#minutes-h + p", "Publisert")
    screenshot(clerk, "clerk-minutes-published", full_page=False)
    assert_accessible(clerk, "clerk meeting page, minutes published")

    public.goto(f"{base}/meetings/{meeting}/minutes/")
    assert "Rettelse: møtet ble satt kl. 18.05" in public.inner_text("main")

    # The archive package, downloaded from the clerk page.
    with clerk.expect_download() as download:
        clerk.click("text=Arkivuttrekk (Noark 5)")
    with zipfile.ZipFile(download.value.path()) as package:
        names = package.namelist()
    assert "arkivstruktur.xml" in names and "arkivuttrekk.xml" in names
    for page in (clerk, public):
        page.context.close()
