"""The chair console offers only the votes the body's rule set allows (§ 11-1, § 11-9 (3))."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from meetings.models import Body
from tests.factories import make_council, make_meeting

pytestmark = pytest.mark.django_db


def vote_kinds_offered(body_type: str, slug: str) -> list[str]:
    council = make_council(slug=slug)
    Body.objects.filter(id=council.body.id).update(body_type=body_type)
    meeting = make_meeting(council)
    client = Client()
    client.force_login(council.chair)
    html = client.get(f"/meetings/{meeting.id}/room/").content.decode()
    select = re.search(r'<select id="vote-kind">(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([a-z]+)"', select)


def test_it_offers_the_council_the_budget_vote() -> None:
    assert vote_kinds_offered("kommunestyre", "rk") == ["ordinary", "election", "appointment", "budget"]


def test_it_offers_a_committee_no_budget_vote() -> None:
    assert vote_kinds_offered("utvalg", "ru") == ["ordinary", "election", "appointment"]


def test_it_offers_an_enterprise_board_decisions_only() -> None:
    assert vote_kinds_offered("kf-styre", "rb") == ["ordinary"]
