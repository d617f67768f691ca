"""Redaction per closed period (kommuneloven §§ 11-4, 11-5): only what happened between
`doors.closed` and `doors.opened` is left out of the public minutes."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client

from meetings.models import Meeting
from minutes import services
from tests.factories import live, make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors

OPEN_DECISION = "Innstilling i sak 1 vedtas."
CLOSED_SPEECH_PROPOSAL = "Tilleggsforslag med opplysninger om en navngitt ansatt"
CLOSED_VOTE_PROPOSAL = "Klageren får medhold fordi hun har en kronisk sykdom"


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert len(text) > 200, "the PDF has no extractable text: the leak check would prove nothing"
    return " ".join(text.split())  # a wrapped line must not hide a leaked phrase from the search


def _vote_all(council, meeting, vote: int, choice: str) -> None:
    for pid in live(meeting)["votes"][str(vote)]["eligible"]:
        user = next(u for u in [council.chair, *council.members] if str(council.person(u).id) == pid)
        run(user, meeting, "vote.cast", vote=vote, choice=choice)


def _close_doors(council, meeting) -> None:
    close_doors(council, meeting, reason="Personopplysninger")
    assert live(meeting)["doors"]["closed"]


@pytest.fixture
def meeting(db, django_capture_on_commit_callbacks):
    """Item 1: a vote in open session, then the doors close for a closed debate with a proposal that
    is never voted on. Item 2: the doors close and the decision is voted behind them."""
    council = make_council(seats=5, slug="red")
    m = make_meeting(council, items=2)
    items = list(m.items.order_by("order"))
    with django_capture_on_commit_callbacks(execute=True):
        start_meeting(council, m)
        chair, m1, m2 = council.chair, council.members[0], council.members[1]

        run(chair, m, "item.open", item_id=items[0].id)
        vote = run(chair, m, "vote.open", title="Innstillingen før lukking")
        _vote_all(council, m, vote, "for")
        run(chair, m, "vote.close", vote=vote)
        _close_doors(council, m)
        run(m1, m, "floor.request")
        run(chair, m, "floor.grant")
        run(m1, m, "proposal.submit", text=CLOSED_SPEECH_PROPOSAL)
        run(m2, m, "question.ask", text="Hemmelig spørsmål om den ansatte")
        run(chair, m, "doors.open", reason="Ferdig")
        run(chair, m, "item.close", item_id=items[0].id)

        run(chair, m, "item.open", item_id=items[1].id)
        _close_doors(council, m)
        number = run(m2, m, "proposal.submit", text=CLOSED_VOTE_PROPOSAL)
        vote = run(chair, m, "vote.open", proposals=[number], title="Forslag fra Medlem 2 i lukket møte")
        _vote_all(council, m, vote, "for")
        run(chair, m, "vote.close", vote=vote)
        run(chair, m, "doors.open", reason="Ferdig")
        run(chair, m, "item.close", item_id=items[1].id)
        run(chair, m, "meeting.end")
    return council, Meeting.objects.get(id=m.id)


def test_it_shows_a_vote_held_before_the_closure_in_the_public_minutes(meeting):
    council, m = meeting
    data = Client().get(f"/meetings/{m.id}/minutes.json").json()
    first = data["agenda_items"][0]
    assert first["decision"] == OPEN_DECISION and first["decision_redacted"] is False
    open_vote = first["votes"][0]
    assert open_vote["title"] == "Innstillingen før lukking" and open_vote["in_closed_session"] is False
    assert {c["option"]: c["value"] for c in open_vote["counts"]} == {"for": 5, "against": 0}
    assert len(open_vote["votes"]) == 5  # per-member votes of an open vote are public
    html = Client().get(f"/meetings/{m.id}/minutes/").content.decode()
    assert OPEN_DECISION in html and "Innstillingen før lukking" in html


def test_it_keeps_the_item_the_ground_and_the_closed_periods(meeting):
    council, m = meeting
    data = Client().get(f"/meetings/{m.id}/minutes.json").json()
    for item in data["agenda_items"]:
        assert item["title"] and item["case_number"]
        [session] = item["closed_sessions"]
        assert session["ground"] == "11-5-3-a" and "bokstav a" in session["ground_text"]
        assert session["from"] <= session["to"]
    assert [c["ground"] for c in data["closures"]] == ["11-5-3-a", "11-5-3-a"]
    assert all(c["to"] for c in data["closures"])
    closure_votes = [v for item in data["agenda_items"] for v in item["votes"] if v.get("kind") == "closure"]
    assert len(closure_votes) == 2 and all(v["adopted"] for v in closure_votes)  # voted in open session


def test_it_leaks_nothing_said_or_voted_during_the_closure(meeting):
    council, m = meeting
    c = Client()
    html = c.get(f"/meetings/{m.id}/minutes/").content.decode()
    body = c.get(f"/meetings/{m.id}/minutes.json").content.decode()
    pdf = pdf_text(c.get(f"/meetings/{m.id}/minutes.pdf").content)
    api_response = c.get(f"/api/meetings/{m.id}/minutes/")
    assert api_response.status_code == 200  # a 404 would make the leak check below vacuous
    api = api_response.content.decode()
    for text in (html, body, pdf, api):
        assert CLOSED_SPEECH_PROPOSAL not in text
        assert CLOSED_VOTE_PROPOSAL not in text
        assert "Hemmelig spørsmål" not in text
        assert "Forslag fra Medlem 2 i lukket møte" not in text  # the closed vote's title
    assert OPEN_DECISION in pdf and "Innstillingen før lukking" in pdf  # the search does see the PDF's text
    data = json.loads(body)
    first, second = data["agenda_items"]
    assert first["speakers"] == [] and first["proposals"] == [] and data["questions"] == []
    assert second["decision"] is None and second["decision_redacted"] is True
    [closed_vote] = [v for v in second["votes"] if v["in_closed_session"]]
    assert closed_vote["redacted"] and set(closed_vote) == {"id", "number", "in_closed_session", "redacted",
                                                            "start", "end"}
    assert "unntatt offentlighet" in html  # the note says why the decision is missing


def test_it_keeps_everything_in_the_internal_version(meeting):
    council, m = meeting
    full = services.minutes_build(meeting_id=m.id, public=False)
    first, second = full["agenda_items"]
    assert first["proposals"][0]["text"] == CLOSED_SPEECH_PROPOSAL
    assert second["decision"] == CLOSED_VOTE_PROPOSAL and not second["decision_redacted"]
    assert full["questions"][0]["text"].startswith("Hemmelig")


def test_it_publishes_a_closed_decision_only_once_the_clerk_releases_it(meeting):
    council, m = meeting
    closed_vote = next(v["number"] for v in services.minutes_build(meeting_id=m.id, public=False)
                       ["agenda_items"][1]["votes"] if v["in_closed_session"])
    url = f"/api/meetings/{m.id}/minutes/release-decision/"
    json_body = {"content_type": "application/json"}  # the API reads JSON bodies only
    assert Client().post(url, {"vote": closed_vote, "reason": "x"}, **json_body).status_code == 403  # the public
    member = Client()
    member.force_login(council.members[0])
    assert member.post(url, {"vote": closed_vote, "reason": "x"}, **json_body).status_code == 403
    clerk = Client()
    clerk.force_login(council.clerk)
    refused = clerk.post(url, {"vote": 1, "reason": "x"}, **json_body)  # the vote held in open session
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "vote_not_closed"
    assert clerk.post(url, {"vote": 99, "reason": "x"}, **json_body).status_code == 404
    assert clerk.post(url, {"vote": "many"}, **json_body).status_code == 400
    before = Client().get(f"/meetings/{m.id}/minutes.json").json()
    done = clerk.post(url, {"vote": closed_vote, "reason": "Vedtaket inneholder ikke taushetsbelagte opplysninger."},
                      **json_body)
    assert done.status_code == 201
    after = Client().get(f"/meetings/{m.id}/minutes.json").json()
    second = after["agenda_items"][1]
    assert second["decision"] == CLOSED_VOTE_PROPOSAL and not second["decision_redacted"]
    assert next(v for v in second["votes"] if v["in_closed_session"])["redacted"]  # ballots stay exempt
    assert after["corrections"][0]["releases_decision_of"] == f"meeting:{m.id}/vote:{closed_vote}"
    after.pop("corrections"), before.pop("corrections")
    assert after["agenda_items"][0] == before["agenda_items"][0]  # nothing else changes
    assert "Hemmelig spørsmål" not in json.dumps(after, ensure_ascii=False)


def test_it_lets_the_clerk_release_a_closed_decision_from_the_clerk_page(meeting):
    council, m = meeting
    clerk = Client()
    clerk.force_login(council.clerk)
    page = clerk.get(f"/clerk/meetings/{m.id}/").content.decode()
    options = re.findall(r'<select id="release-vote" name="vote"><option value="(\d+)">', page)
    assert len(options) == 1  # only the decision made behind closed doors is offered
    assert CLOSED_VOTE_PROPOSAL not in Client().get(f"/meetings/{m.id}/minutes/").content.decode()
    done = clerk.post(f"/clerk/meetings/{m.id}/", {"action": "release_decision", "vote": options[0],
                                                    "reason": "Vedtaket inneholder ikke taushetsbelagte opplysninger."})
    assert done.status_code == 302
    assert CLOSED_VOTE_PROPOSAL in Client().get(f"/meetings/{m.id}/minutes/").content.decode()
    again = clerk.post(f"/clerk/meetings/{m.id}/", {"action": "release_decision", "vote": "x"}, follow=True)
    assert again.status_code == 200 and "velg en votering" in again.content.decode()  # in the page's language (nb)
