"""In Chromium, the work around a meeting: a member reports an absence (forfall) from the meeting list,
the clerk sees it and summons the next deputy in one click, the deputy's e-mail is in the server's
outbox with the room's link, and the deputy joins the meeting in the member's place."""

from __future__ import annotations

import email
import email.header
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login
from tests.browser.helpers import api, token, wait_text

pytestmark = pytest.mark.browser


def outbox(env: dict[str, str]) -> list[Message]:
    """Every message the live server sent (Django's file backend: one file per connection, messages
    separated by a line of 79 dashes)."""
    messages = []
    for path in sorted(Path(env["EMAIL_FILE_PATH"]).glob("*.log")):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(email.message_from_bytes(raw.strip()))
    return messages


def subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"] or "")))


def text_of(message: Message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def test_a_member_reports_an_absence_and_the_summoned_deputy_is_told_and_joins(browser, live_server_url,
                                                                               live_server_env):
    base = live_server_url
    clerk_token = token(base, "sekretar")
    body = next(b for b in api(base, "/api/bodies/")["results"] if b["slug"] == "kommunestyret")
    meeting = api(base, "/api/meetings/", {"body_id": body["id"], "title": "Kommunestyremøte (forfall)",
                                           "scheduled_start": "2026-12-17T18:00:00+01:00"}, clerk_token)["id"]
    api(base, f"/api/meetings/{meeting}/items/", {"case_number": "PS 70/26", "title": "Budsjett 2027"}, clerk_token)
    api(base, f"/api/meetings/{meeting}/publish-notice/", {"notice_text": "Velkommen."}, clerk_token)

    member = login(browser, base, "medlem03")
    card = member.locator(f"article[aria-labelledby='m{meeting}']")
    card.locator("summary", has_text="Meld forfall").click()
    card.get_by_label("Grunn").fill("Sykdom")
    card.get_by_role("button", name="Meld forfall").click()
    expect(member.locator(".messages")).to_contain_text("Forfallet er registrert")
    expect(member.locator(f"article[aria-labelledby='m{meeting}'] summary", has_text="Meld forfall")).to_have_count(0)

    clerk = login(browser, base, "sekretar")
    clerk.goto(f"{base}/clerk/meetings/{meeting}/")
    row = clerk.locator("#absences tbody tr").first
    expect(row).to_contain_text("Sykdom")
    absent_name = row.locator("th").inner_text()
    summon = row.get_by_role("button", name="Kall inn")
    deputy_name = summon.inner_text().removeprefix("Kall inn ").split(" (")[0]
    assert_accessible(clerk, "clerk page, absences")
    summon.click()
    expect(clerk.locator(".messages")).to_contain_text(f"{deputy_name} er innkalt")
    expect(clerk.locator("#absences tbody tr").first).to_contain_text(f"{deputy_name} er innkalt")

    told = [m for m in outbox(live_server_env) if "vararepresentant" in subject(m) and "17.12.2026" in subject(m)]
    assert len(told) == 1, [m["Subject"] for m in outbox(live_server_env)]
    body_text = text_of(told[0])
    assert absent_name in body_text and f"/meetings/{meeting}/room/" in body_text
    deputy_username = told[0]["To"].split("@")[0]
    assert deputy_username.startswith("vara-")

    api(base, f"/api/meetings/{meeting}/actions/meeting.open/", {}, token(base, "ordforer"))
    deputy = login(browser, base, deputy_username)
    deputy.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(deputy, "#conn-status", "Tilkoblet")
    deputy.wait_for_selector('#check-status[data-state="ok"]')
    deputy.click("#join-media")
    # Joining registers the deputy as present (a logged event); the room then states the deputy's own fact.
    wait_text(deputy, "#my-presence", "Du: ser og hører")
    state = api(base, f"/api/meetings/{meeting}/state/", token=clerk_token)["state"]
    deputy_pid = next(pid for pid, a in state["attendance"].items() if a["name"] == deputy_name)
    seat = state["attendance"][deputy_pid]
    absent_pid = next(pid for pid, a in state["absent"].items() if a.get("deputy"))
    assert seat["present"] and seat["substitute_for"] == absent_pid
    for page in (member, clerk, deputy):
        page.context.close()
