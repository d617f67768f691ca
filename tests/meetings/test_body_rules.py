"""The body type decides which rules of kommuneloven chapter 11 apply (§ 11-1): LAW items 1, 22 and 27.

Every case runs through the real services, the command table, the REST action endpoint or the live
socket, and reads the outcome back from the meeting log.
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from meetings.exceptions import InvalidInput, LegalRuleViolation
from meetings.legal import OWN_REMOTE_DECISION, RULE_SETS, rules_for
from meetings.models import Body, BodyType, Meeting, MeetingEvent
from meetings.services import meetings
from meetings.services.log import log_verify
from minutes import render
from minutes import services as minutes_services
from tests.factories import join_with_media, live, make_council, make_meeting, run, start_meeting
from tests.helpers import Socket, token_for
from tests.minutes.test_exemptions import pdf_text


def council_of(body_type: str, *, seats: int = 5, remote_allowed: bool = True, slug: str = "body"):
    council = make_council(seats=seats, remote_allowed=remote_allowed, slug=slug)
    Body.objects.filter(id=council.body.id).update(body_type=body_type)
    council.body.refresh_from_db()
    return council


def everyone(council):
    return [council.chair, *council.members]


def payload_of(meeting, type_: str) -> dict:
    return MeetingEvent.objects.filter(meeting=meeting, type=type_).order_by("seq").last().payload


def in_item(council, *, join=None):
    """A published meeting of the body, opened, with `join` (default: all) present and item 1 open."""
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting, join_all=join is None)
    for user in join or []:
        join_with_media(user, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    return meeting


def proposals(council, meeting, count: int) -> list[int]:
    return [run(council.members[i], meeting, "proposal.submit", text=f"Budsjettforslag {i + 1}") for i in range(count)]


def cast(meeting, vote: int, ballots: dict) -> None:
    for user, choice in ballots.items():
        run(user, meeting, "vote.cast", vote=vote, choice=choice)


def client_for(user) -> APIClient:
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # the refusals these tests read in English, their msgids
    c.force_authenticate(user)
    return c


# LAW item 1, § 11-7 (1)

def test_law_01_every_body_type_has_its_rule_set():
    assert set(RULE_SETS) == set(BodyType.values)
    assert rules_for("kommunestyre").own_remote_decision
    assert not any(rules_for(t).own_remote_decision for t in BodyType.values if t != "kommunestyre")


def test_law_01_the_council_meets_remotely_on_its_own_decision_and_the_log_and_minutes_say_so(db):
    council = council_of("kommunestyre", remote_allowed=False, slug="own")
    meeting = make_meeting(council, items=1)
    basis = {"basis": "own_decision", "ref": OWN_REMOTE_DECISION, "date": timezone.localdate().isoformat()}
    assert payload_of(meeting, "meeting.created")["remote_basis"] == basis
    assert payload_of(meeting, "notice.published")["remote_basis"] == basis
    start_meeting(council, meeting)
    opened = payload_of(meeting, "meeting.opened")
    assert opened["remote_decision"] == basis and opened["rules"]["key"] == "council"
    run(council.chair, meeting, "meeting.end")
    log_verify(meeting_id=meeting.id)
    html = render.to_html(minutes_services.minutes_build(meeting_id=meeting.id, public=True), meeting_id=meeting.id,
                          published=True).decode()
    assert "kommunestyrets eget vedtak (kommuneloven § 11-7 første ledd)" in html


def test_law_01_a_physical_council_meeting_records_no_remote_basis(db):
    council = council_of("kommunestyre", remote_allowed=False, slug="phys")
    meeting = make_meeting(council, items=1, form="physical")
    assert payload_of(meeting, "notice.published")["remote_basis"] is None


@pytest.mark.parametrize("body_type", ["formannskap", "utvalg", "kontrollutvalg", "kf-styre"])
def test_law_01_every_other_body_needs_the_councils_decision(db, body_type):
    council = council_of(body_type, remote_allowed=False, slug=f"no-{body_type}")
    with pytest.raises(LegalRuleViolation, match=r"11-7 \(1\)") as err:
        meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="x",
                                scheduled_start=timezone.now(), form="remote")
    assert err.value.code == "remote_not_allowed"
    r = client_for(council.clerk).post("/api/meetings/", {"body_id": council.body.id, "title": "x", "form": "remote",
                                                          "scheduled_start": timezone.now().isoformat()}, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "remote_not_allowed"
    physical = make_meeting(council, items=1, form="physical", publish=False)
    with pytest.raises(LegalRuleViolation) as err:
        meetings.meeting_set_form(user=council.clerk, meeting_id=physical.id, form="remote")
    assert err.value.code == "remote_not_allowed"
    assert not MeetingEvent.objects.filter(meeting__body=council.body, payload__form="remote").exists()


def test_law_01_the_admin_lets_only_the_council_meet_remotely_without_a_prior_decision(db):
    own = council_of("kommunestyre", remote_allowed=False, slug="adm-k")
    Meeting(body=own.body, title="x", scheduled_start=timezone.now(), form="remote").clean()
    committee = council_of("utvalg", remote_allowed=False, slug="adm-u")
    with pytest.raises(ValidationError, match=r"11-7 \(1\)"):
        Meeting(body=committee.body, title="x", scheduled_start=timezone.now(), form="remote").clean()
    with translation.override("nn"), pytest.raises(ValidationError, match="kan ikkje halde fjernmøte"):
        Meeting(body=committee.body, title="x", scheduled_start=timezone.now(), form="remote").clean()


def test_law_01_with_the_councils_decision_the_log_cites_it(db):
    council = council_of("formannskap", slug="fsk")
    meeting = make_meeting(council, items=1)
    start_meeting(council, meeting)
    assert payload_of(meeting, "meeting.opened")["remote_decision"] == {
        "basis": "council_decision", "ref": "PS 1/26", "date": "2026-01-15"}


# LAW item 22, § 11-9 (3)

def test_law_22_a_budget_proposal_with_a_majority_in_the_first_round_is_adopted(db):
    council = council_of("kommunestyre", slug="b1")
    meeting = in_item(council)
    p = proposals(council, meeting, 3)
    vote = run(council.chair, meeting, "vote.open", kind="budget", proposals=p, title="Årsbudsjett 2027")
    c, m = council.chair, council.members
    cast(meeting, vote, {c: "p1", m[0]: "p1", m[1]: "p1", m[2]: "p2", m[3]: "p3"})
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert result["adopted"] and result["winner"] == "p1" and result["decision"] == "Budsjettforslag 1"
    assert result["budget"] == {"round": 1, "runoff_between": None, "runoff_vote": None, "tied_for_runoff": []}
    assert live(meeting)["open_vote"] is None


def test_law_22_without_a_majority_the_two_proposals_with_most_votes_go_to_a_runoff(db):
    council = council_of("kommunestyre", slug="b2")
    meeting = in_item(council)
    p = proposals(council, meeting, 3)
    vote = run(council.chair, meeting, "vote.open", kind="budget", proposals=p, title="Årsbudsjett 2027")
    c, m = council.chair, council.members
    with pytest.raises(InvalidInput, match="8-1"):
        run(m[0], meeting, "vote.cast", vote=vote, choice="blank")  # no abstention in a budget vote
    cast(meeting, vote, {c: "p1", m[0]: "p1", m[1]: "p2", m[2]: "p2", m[3]: "p3"})
    first = run(council.chair, meeting, "vote.close", vote=vote)
    assert not first["adopted"] and first["winner"] is None
    assert first["budget"] == {"round": 1, "runoff_between": ["p1", "p2"], "runoff_vote": 2, "tied_for_runoff": []}
    # The service opened the runoff itself; nothing else can be voted on until it is held.
    runoff = payload_of(meeting, "vote.opened")
    assert runoff["vote"] == 2 and runoff["runoff_of"] == 1 and runoff["options"] == ["p1", "p2"]
    assert "§ 11-9 (3)" in runoff["title"] and live(meeting)["open_vote"] == "2"
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "vote.open", kind="budget", proposals=p)
    assert err.value.code == "vote_open"
    with pytest.raises(InvalidInput):
        run(m[3], meeting, "vote.cast", vote=2, choice="p3")  # the third proposal is out
    cast(meeting, 2, {c: "p1", m[0]: "p1", m[1]: "p2", m[2]: "p2", m[3]: "p2"})
    second = run(council.chair, meeting, "vote.close", vote=2)
    assert second["adopted"] and second["winner"] == "p2" and second["decision"] == "Budsjettforslag 2"
    assert second["budget"] == {"round": 2, "first_round": {"vote": 1, "counts": {"p1": 2, "p2": 2, "p3": 1}},
                                "between": ["p1", "p2"]}
    assert live(meeting)["items"][str(meeting.items.first().id)]["decision"] == "Budsjettforslag 2"
    types = list(MeetingEvent.objects.filter(meeting=meeting, type__startswith="vote.").values_list("type", flat=True))
    assert types.count("vote.opened") == 2 and types.count("vote.closed") == 2
    for e in MeetingEvent.objects.filter(meeting=meeting):
        json.dumps(e.payload)
    log_verify(meeting_id=meeting.id)
    # The minutes, generated from the log, show both rounds and the decision of the runoff.
    run(council.chair, meeting, "item.close", item_id=meeting.items.first().id)
    run(council.chair, meeting, "meeting.end")
    data = minutes_services.minutes_build(meeting_id=meeting.id, public=True)
    votes = data["agenda_items"][0]["votes"]
    assert [v["number"] for v in votes] == [1, 2] and [v["adopted"] for v in votes] == [False, True]
    assert votes[0]["budget"]["runoff_between"] == ["p1", "p2"] and votes[1]["budget"]["round"] == 2
    html = render.to_html(data, meeting_id=meeting.id, published=True).decode()
    assert "Ny votering mellom de to forslagene med flest stemmer" in html and "Budsjettforslag 2" in html
    assert render.to_pdf(data)[:4] == b"%PDF"


def test_law_22_a_tie_in_the_runoff_is_decided_by_the_chairs_casting_vote(db):
    council = council_of("kommunestyre", seats=6, slug="b3")
    meeting = in_item(council)
    p = proposals(council, meeting, 3)
    vote = run(council.chair, meeting, "vote.open", kind="budget", proposals=p)
    c, m = council.chair, council.members
    cast(meeting, vote, {c: "p2", m[0]: "p1", m[1]: "p1", m[2]: "p1", m[3]: "p2", m[4]: "p3"})
    first = run(council.chair, meeting, "vote.close", vote=vote)
    assert first["budget"]["runoff_between"] == ["p1", "p2"]  # 3 of 6 is no majority of votes cast
    cast(meeting, 2, {c: "p2", m[0]: "p1", m[1]: "p1", m[2]: "p1", m[3]: "p2", m[4]: "p2"})
    second = run(council.chair, meeting, "vote.close", vote=2)
    assert second["tie"] and second["casting_vote"] and second["winner"] == "p2" and second["adopted"]


def test_law_22_a_tie_for_second_place_opens_no_runoff_and_says_which_tied(db):
    council = council_of("kommunestyre", seats=7, slug="b4")
    meeting = in_item(council)
    p = proposals(council, meeting, 3)
    vote = run(council.chair, meeting, "vote.open", kind="budget", proposals=p)
    c, m = council.chair, council.members
    cast(meeting, vote, {c: "p1", m[0]: "p1", m[1]: "p1", m[2]: "p2", m[3]: "p2", m[4]: "p3", m[5]: "p3"})
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert not result["adopted"] and result["budget"]["runoff_between"] is None
    assert result["budget"]["tied_for_runoff"] == ["p2", "p3"] and live(meeting)["open_vote"] is None


def test_law_22_a_first_round_without_quorum_opens_no_runoff(db):
    council = council_of("kommunestyre", seats=7, slug="b5")
    meeting = in_item(council, join=[council.chair, *council.members[:2]])
    p = proposals(council, meeting, 2)
    vote = run(council.chair, meeting, "vote.open", kind="budget", proposals=p)
    cast(meeting, vote, {council.chair: "p1", council.members[0]: "p2", council.members[1]: "p2"})
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert not result["quorum"]["met"] and not result["adopted"] and result["budget"]["runoff_between"] is None


@pytest.mark.parametrize("body_type", ["formannskap", "utvalg", "kontrollutvalg", "kf-styre"])
def test_law_22_only_the_council_holds_a_budget_vote(db, body_type):
    council = council_of(body_type, slug=f"nb-{body_type}")
    meeting = in_item(council)
    p = proposals(council, meeting, 2)
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "vote.open", kind="budget", proposals=p)
    assert err.value.code == "vote_kind_not_allowed"
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/vote.open/",
                                       {"kind": "budget", "proposals": p}, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "vote_kind_not_allowed"
    assert not MeetingEvent.objects.filter(meeting=meeting, type="vote.opened").exists()


def test_law_22_a_budget_vote_needs_two_proposals_as_a_whole(db):
    council = council_of("kommunestyre", slug="b6")
    meeting = in_item(council)
    p = proposals(council, meeting, 1)
    for chosen in ([], p):
        with pytest.raises(LegalRuleViolation) as err:
            run(council.chair, meeting, "vote.open", kind="budget", proposals=chosen)
        assert err.value.code == "budget_needs_alternatives"
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/vote.open/",
                                       {"kind": "budget", "proposals": p}, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "budget_needs_alternatives"
    r = client_for(council.chair).post(f"/api/meetings/{meeting.id}/actions/vote.open/",
                                       {"kind": "budget", "proposals": p * 2}, format="json")
    assert r.status_code == 400 and r.json()["error"]["message"] == "proposals must be distinct"


# LAW item 27, § 11-1

def test_law_27_an_enterprise_board_has_no_platform_quorum_and_a_tie_is_not_adopted(db):
    board = council_of("kf-styre", seats=5, slug="kf")
    meeting = in_item(board, join=[board.chair, board.members[0]])  # 2 of 5: below § 11-9 (1)
    vote = run(board.chair, meeting, "vote.open")
    assert payload_of(meeting, "vote.opened")["quorum_required"] == 0
    cast(meeting, vote, {board.chair: "for", board.members[0]: "for"})
    result = run(board.chair, meeting, "vote.close", vote=vote)
    assert result["adopted"] and result["quorum"]["applies"] is False
    assert result["rules"]["key"] == "enterprise-board" and "§ 11-1" in result["rules"]["title"]
    tie = run(board.chair, meeting, "vote.open")
    cast(meeting, tie, {board.chair: "for", board.members[0]: "against"})
    result = run(board.chair, meeting, "vote.close", vote=tie)
    assert result["tie"] and not result["casting_vote"] and not result["adopted"] and result["winner"] is None
    assert payload_of(meeting, "vote.closed")["result"]["rules"]["casting_vote"] is False
    # The minutes say § 11-9 does not apply, instead of a quorum of "0 required".
    run(board.chair, meeting, "item.close", item_id=int(live(meeting)["current_item"]))
    run(board.chair, meeting, "meeting.end")
    for lang, text in (("nb", "gjelder ikke for dette organet"), ("en", "does not apply to this body")):
        data = minutes_services.minutes_build(meeting_id=meeting.id, public=True, lang=lang)
        html = render.to_html(data, meeting_id=meeting.id, published=True).decode()
        assert html.count(text) == 2 and "(2/0)" not in html
        assert text in pdf_text(render.to_pdf(data))


def test_law_27_the_same_votes_in_a_committee_follow_section_11_9(db):
    committee = council_of("utvalg", seats=5, slug="utv")
    meeting = in_item(committee, join=[committee.chair, committee.members[0]])
    vote = run(committee.chair, meeting, "vote.open")
    cast(meeting, vote, {committee.chair: "for", committee.members[0]: "against"})
    result = run(committee.chair, meeting, "vote.close", vote=vote)
    quorum = {k: result["quorum"][k] for k in ("required", "present_throughout_and_voted", "met")}
    assert quorum == {"required": 3, "present_throughout_and_voted": 2, "met": False}
    assert result["quorum"]["text"]["en"].startswith("2 of 5 members present throughout the debate and voting; "
                                                     "3 required")
    assert result["casting_vote"] and not result["adopted"]  # the casting vote counts, the quorum does not
    assert result["rules"]["key"] == "chapter-11"


@pytest.mark.parametrize("kind,extra", [("election", {"candidates": ["A", "B"]}),
                                        ("appointment", {"candidates": ["A"]}), ("budget", {})])
def test_law_27_an_enterprise_board_is_not_offered_elections_or_budget_votes(db, kind, extra):
    board = council_of("kf-styre", slug=f"kf-{kind}")
    meeting = in_item(board)
    if kind == "budget":
        extra = {"proposals": proposals(board, meeting, 2)}
    with pytest.raises(LegalRuleViolation, match="§ 11-1") as err:
        run(board.chair, meeting, "vote.open", kind=kind, **extra)
    assert err.value.code == "vote_kind_not_allowed"
    r = client_for(board.chair).post(f"/api/meetings/{meeting.id}/actions/vote.open/", {"kind": kind, **extra},
                                     format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "vote_kind_not_allowed"


@pytest.mark.django_db(transaction=True)
async def test_law_27_and_22_the_socket_answers_a_refused_vote_kind_with_an_error():
    board = await database_sync_to_async(council_of)("kf-styre", slug="kfws")
    meeting = await database_sync_to_async(in_item)(board)
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(board.chair))
    ok, _ = await s.connect()
    assert ok and (await s.recv())["type"] == "hello"
    for kind, extra in (("election", {"candidates": ["A"]}), ("budget", {"proposals": [1, 2]})):
        reply = await s.call("vote.open", kind=kind, **extra)
        assert reply["type"] == "error" and reply["error"]["code"] == "vote_kind_not_allowed", reply
    reply = await s.call("vote.open")  # the connection and the meeting go on
    assert reply["type"] == "ack" and reply["result"] == 1
    await s.close()
