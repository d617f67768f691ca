"""The minutes show each vote's legal facts at the vote, in words (LAW items 19-21, 25 e): the quorum,
who could not vote and why, who did not vote, an election's rounds and its lot."""

from __future__ import annotations

import io

import pytest

from minutes import render, services
from tests.factories import join_with_media, make_council, make_meeting, report_media, run


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture
def held(db):
    council = make_council(seats=7, deputies=0, slug="vf")
    chair, m = council.chair, council.members
    meeting = make_meeting(council, items=2)
    run(chair, meeting, "meeting.open")
    for u in [chair, *m[:5]]:
        join_with_media(u, meeting)
    run(m[5], meeting, "member.join")  # never connects media: "connecting"
    items = list(meeting.items.order_by("order"))
    run(chair, meeting, "item.open", item_id=items[0].id)
    report_media(meeting, m[4], audio=False)
    vote = run(chair, meeting, "vote.open")
    for u in [chair, *m[:3]]:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(chair, meeting, "vote.close", vote=vote)  # m[3] eligible but did not vote
    run(chair, meeting, "item.close", item_id=items[0].id)
    run(chair, meeting, "item.open", item_id=items[1].id)
    vote = run(chair, meeting, "vote.open", kind="election", candidates=["Kari", "Per"], title="Valg av leder")
    tie = {chair: "Kari", m[0]: "Kari", m[1]: "Per", m[2]: "Per"}
    for u, c in tie.items():
        run(u, meeting, "vote.cast", vote=vote, choice=c)
    run(m[3], meeting, "vote.cast", vote=vote, choice="blank")
    second = run(chair, meeting, "vote.close", vote=vote)["new_round_vote"]
    for u, c in tie.items():
        run(u, meeting, "vote.cast", vote=second, choice=c)
    run(m[3], meeting, "vote.cast", vote=second, choice="blank")
    lot = run(chair, meeting, "vote.close", vote=second)["lot"]
    run(chair, meeting, "item.close", item_id=items[1].id)
    run(chair, meeting, "meeting.end")
    return council, meeting, lot


def test_law_25_e_the_minutes_say_at_the_vote_who_could_not_vote_and_why_and_the_quorum_in_words(held):
    council, meeting, lot = held
    data = services.minutes_build(meeting_id=meeting.id, public=True)
    html = render.to_html(data, meeting_id=meeting.id, published=True).decode()
    assert ("Beslutningsdyktighet (§ 11-9): 5 av 7 medlemmer var til stede under hele behandlingen og stemte; "
            "4 kreves (kommuneloven § 11-9 første ledd) – vedtaksført.") in html
    assert "4 av 7 medlemmer var til stede under hele behandlingen og stemte; 4 kreves" in html  # the first vote
    assert "Kunne ikke stemme: Medlem 5 (kan ikke høres (ingen lyd kommer fram)); " \
           "Medlem 6 (kobler til (lyd og bilde er ikke målt ennå))." in html
    assert "Stemmeberettiget, stemte ikke: Medlem 4." in html
    pdf = pdf_text(render.to_pdf(data))
    assert "Stemmeberettiget, stemte ikke: Medlem 4." in pdf
    english = render.to_html(services.minutes_build(meeting_id=meeting.id, public=True, lang="en"),
                             meeting_id=meeting.id, published=True).decode()
    assert "5 of 7 members present throughout the debate and voting; 4 required" in english
    assert "Medlem 5 (cannot be heard (no audio arrives))" in english


def test_law_21_the_minutes_show_each_round_of_an_election_and_the_lot(held):
    council, meeting, lot = held
    data = services.minutes_build(meeting_id=meeting.id, public=True)
    html = render.to_html(data, meeting_id=meeting.id, published=True).decode()
    assert "Omgang 1 (kommuneloven § 7-8); 1 blanke." in html
    assert "Ingen fikk mer enn halvparten av de avgitte stemmene: ny avstemning ble holdt." in html
    assert "Omgang 2 (kommuneloven § 7-8)" in html
    assert f"loddtrekning, trukket av systemet fra møteloggen: Kari, Per; trukket: {lot['drawn']}." in html
    votes = [v for it in data["agenda_items"] for v in it["votes"]]
    assert [v.get("round") for v in votes] == [None, 1, 2]
    assert votes[2]["lot"]["seed"] == lot["seed"]
