"""The pages show who sees and hears in meetings/presence.py's words: the room gets its REASONS in the
page's language (reasons-data), and the clerk's health table states the server's fact per member."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from meetings.presence import REASONS, reason_text
from tests.factories import make_council, make_meeting, report_media, run

pytestmark = pytest.mark.django_db


def reasons_in(html: str) -> dict[str, str]:
    found = re.search(r'<script id="reasons-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_it_renders_the_presence_reasons_in_the_pages_language() -> None:
    council = make_council(slug="pt")
    meeting = make_meeting(council)
    client = Client()
    client.force_login(council.members[0])
    nb = reasons_in(client.get(f"/meetings/{meeting.id}/room/").content.decode())
    assert nb == {code: reason_text(code, "nb") for code in REASONS}
    assert nb["no_audio"] == "kan ikke høres (ingen lyd kommer fram)"
    en = reasons_in(client.get(f"/meetings/{meeting.id}/room/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert en == {code: reason_text(code, "en") for code in REASONS}
    assert en["no_audio"] == "cannot be heard (no audio arrives)"
    nn = reasons_in(client.get(f"/meetings/{meeting.id}/room/", HTTP_ACCEPT_LANGUAGE="nn").content.decode())
    assert nn["no_audio"] == "kan ikkje høyrast (ingen lyd kjem fram)"


def test_it_shows_the_clerk_each_members_presence_with_the_reason() -> None:
    council = make_council(slug="pc")
    meeting = make_meeting(council)
    run(council.chair, meeting, "meeting.open")
    connecting, silent = council.members[0], council.members[1]
    for user in (connecting, silent):
        run(user, meeting, "member.join")
    report_media(meeting, silent, audio=False)
    client = Client()
    client.force_login(council.clerk)
    html = client.get(f"/clerk/meetings/{meeting.id}/").content.decode()
    cells = dict(re.findall(r'<th scope="row">(.*?)</th><td>[^<]*</td><td class="presence">(.*?)</td>', html))
    assert cells == {"Medlem 1": reason_text("connecting", "nb"), "Medlem 2": reason_text("no_audio", "nb")}
