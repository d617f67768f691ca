"""Votes that explain themselves, elections and appointments in rounds, written ballots (LAW items 3,
19, 20, 21; kommuneloven §§ 7-8, 8-1 (2), 11-9). The media server's measurements are fed through the
service it calls (`report_media`); presence from real media is tested in tests/integration."""

from __future__ import annotations

import pytest

from meetings.exceptions import LegalRuleViolation, NotEligible
from meetings.models import Meeting, MeetingEvent, WrittenBallotTally
from meetings.services.votes import draw_lot
from tests.factories import join_with_media, live, make_council, make_meeting, report_media, run


@pytest.fixture
def council(db):
    return make_council(seats=7, deputies=2, slug="ve")


def open_item(council, *, with_media):
    meeting = make_meeting(council, items=2)
    run(council.chair, meeting, "meeting.open")
    for u in with_media:
        join_with_media(u, meeting)
    return meeting


def first_item(meeting):
    return meeting.items.order_by("order").first().id


def cast_all(meeting, vote, choices):
    for user, choice in choices.items():
        run(user, meeting, "vote.cast", vote=vote, choice=choice)


def test_law_03_member_registered_without_media_is_connecting_not_counted_and_may_not_vote(council):
    chair, m = council.chair, council.members
    meeting = open_item(council, with_media=[chair, *m[:3]])
    run(m[3], meeting, "member.join")  # registers as present, never connects camera and microphone
    pid = str(council.pid(m[3]))
    state = live(meeting)
    assert state["presence"][pid] == {"sees_and_hears": False, "reason": "connecting"}
    run(chair, meeting, "item.open", item_id=first_item(meeting))
    assert pid not in live(meeting)["items"][str(first_item(meeting))]["present_throughout"]
    vote = run(chair, meeting, "vote.open")
    with pytest.raises(NotEligible) as err:
        run(m[3], meeting, "vote.cast", vote=vote, choice="for")
    assert err.value.code == "not_eligible"
    cast_all(meeting, vote, {chair: "for", m[0]: "for", m[1]: "for", m[2]: "against"})
    result = run(chair, meeting, "vote.close", vote=vote)
    assert result["not_eligible"][pid]["reason"] == "connecting"
    assert pid not in result["not_voted"]  # not a breach of the duty to vote: the member could not vote
    assert result["quorum"]["present_throughout_and_voted"] == 4 and result["quorum"]["met"]


def test_law_03_member_registered_in_the_room_counts_without_media(council):
    chair, m = council.chair, council.members
    meeting = open_item(council, with_media=[chair])
    run(chair, meeting, "roll_call", in_room=[council.pid(u) for u in m[:3]])
    for u in m[:3]:
        assert live(meeting)["presence"][str(council.pid(u))] == {"sees_and_hears": True, "reason": None}
    run(m[3], meeting, "member.join")
    run(chair, meeting, "member.in_room", person_id=council.pid(m[3]), in_room=True)
    assert live(meeting)["presence"][str(council.pid(m[3]))]["sees_and_hears"]
    run(chair, meeting, "item.open", item_id=first_item(meeting))
    assert len(live(meeting)["items"][str(first_item(meeting))]["present_throughout"]) == 5


def test_law_19_20_vote_result_names_every_member_not_eligible_with_the_reason(council):
    chair, m = council.chair, council.members
    meeting = open_item(council, with_media=[chair, *m[:4]])
    run(chair, meeting, "roll_call", absent={str(council.pid(m[5])): "Sykdom"})
    deputy = run(chair, meeting, "deputy.summon", for_member_id=council.pid(m[5]))
    item = first_item(meeting)
    run(chair, meeting, "item.open", item_id=item)
    report_media(meeting, m[0], audio=False)  # cannot be heard
    run(m[1], meeting, "conflict.declare", item_id=item)
    run(chair, meeting, "conflict.rule", item_id=item, person_id=council.pid(m[1]), recused=True,
        legal_basis="forvaltningsloven § 6 første ledd bokstav a")
    run(m[2], meeting, "member.leave")
    vote = run(chair, meeting, "vote.open")
    cast_all(meeting, vote, {chair: "for", m[3]: "for"})
    result = run(chair, meeting, "vote.close", vote=vote)
    reasons = {p: e["reason"] for p, e in result["not_eligible"].items()}
    assert reasons[str(council.pid(m[0]))] == "no_audio"
    assert reasons[str(council.pid(m[1]))] == "recused"
    assert reasons[str(council.pid(m[2]))] == "left"
    assert reasons[str(council.pid(m[4]))] == "not_arrived"
    assert reasons[str(council.pid(m[5]))] == "absent"
    assert result["not_eligible"][str(council.pid(m[5]))]["deputy"] == str(deputy["id"])
    assert reasons[str(deputy["id"])] == "not_arrived"  # summoned, not yet here
    assert "Sykdom" not in str(result)  # an absence's reason is not part of the result
    assert result["eligible"] == sorted([str(council.pid(u)) for u in (chair, m[3])], key=int)
    assert result["not_voted"] == []
    # The item records when and why each member dropped out of the quorum base.
    dropped = live(meeting)["items"][str(item)]["dropped_out"]
    assert {p: d["reason"] for p, d in dropped.items()} == {
        str(council.pid(m[0])): "no_audio", str(council.pid(m[1])): "recused", str(council.pid(m[2])): "left"}


def test_law_20_quorum_in_words_and_a_ballot_cast_before_dropping_out_stands(council):
    """§ 11-9 (1) «til stede under forhandlingene og avgitt stemme»: a member present from the start of
    the debate who votes and then loses audio has done both; the ballot counts in the tally and the
    quorum alike, and the result says the member is no longer eligible but voted."""
    chair, m = council.chair, council.members
    meeting = open_item(council, with_media=[chair, *m[:3]])
    run(chair, meeting, "item.open", item_id=first_item(meeting))
    vote = run(chair, meeting, "vote.open")
    cast_all(meeting, vote, {chair: "for", m[0]: "for", m[1]: "against", m[2]: "for"})
    report_media(meeting, m[2], audio=False)
    result = run(chair, meeting, "vote.close", vote=vote)
    assert result["counts"] == {"for": 3, "against": 1}
    assert result["quorum"]["present_throughout_and_voted"] == 4 and result["quorum"]["met"]
    assert result["quorum"]["text"]["nb"] == ("4 av 7 medlemmer var til stede under hele behandlingen og stemte; "
                                              "4 kreves (kommuneloven § 11-9 første ledd) – vedtaksført")
    assert result["quorum"]["text"]["en"].startswith("4 of 7 members present throughout the debate and voting; "
                                                     "4 required")
    assert result["not_eligible"][str(council.pid(m[2]))] == {"name": "Medlem 3", "reason": "no_audio", "voted": True}
    assert result["not_in_quorum"] == {}
    # The next vote on the item no longer counts the member who dropped out.
    vote2 = run(chair, meeting, "vote.open")
    cast_all(meeting, vote2, {chair: "for", m[0]: "for", m[1]: "for"})
    result2 = run(chair, meeting, "vote.close", vote=vote2)
    assert result2["quorum"]["present_throughout_and_voted"] == 3 and not result2["quorum"]["met"]
    assert not result2["adopted"]


def election(council, *, kind="election", written=False, candidates=("Kari", "Per", "Ola")):
    meeting = open_item(council, with_media=[council.chair, *council.members])
    run(council.chair, meeting, "item.open", item_id=first_item(meeting))
    vote = run(council.chair, meeting, "vote.open", kind=kind, candidates=list(candidates), title="Valg av leder",
               written=written)
    return meeting, vote


def test_law_21_section_7_8_more_than_half_of_the_votes_cast_is_elected_blank_ballots_support_nobody(council):
    meeting, vote = election(council)
    chair, m = council.chair, council.members
    cast_all(meeting, vote, {chair: "Kari", m[0]: "Kari", m[1]: "Kari", m[2]: "Per", m[3]: "blank", m[4]: "blank",
                             m[5]: "Ola"})
    result = run(chair, meeting, "vote.close", vote=vote)
    # 5 votes cast for candidates (2 blank), Kari has 3 > 5/2: elected in the first round.
    assert result["votes_cast"] == 5 and result["blank"] == 2 and result["majority_needed"] == 3
    assert result["winner"] == "Kari" and result["adopted"] and result["decision"] == "Valgt: Kari"
    assert result["quorum"]["present_throughout_and_voted"] == 7  # blank voters have voted (§ 8-1 (2))
    assert not result["new_round"] and live(meeting)["open_vote"] is None


def test_law_21_section_7_8_without_a_majority_a_new_round_is_held_and_the_most_votes_win(council):
    meeting, vote = election(council)
    chair, m = council.chair, council.members
    cast_all(meeting, vote, {chair: "Kari", m[0]: "Kari", m[1]: "Kari", m[2]: "Per", m[3]: "Per", m[4]: "Ola",
                             m[5]: "Ola"})
    first = run(chair, meeting, "vote.close", vote=vote)
    assert first["winner"] is None and first["new_round"] and not first["adopted"]
    state = live(meeting)
    second = state["votes"][state["open_vote"]]
    assert second["round"] == 2 and second["round_of"] == vote and second["options"] == ["Kari", "Per", "Ola", "blank"]
    assert first["new_round_vote"] == second["vote"]
    cast_all(meeting, second["vote"], {chair: "Kari", m[0]: "Kari", m[1]: "Per", m[2]: "Per", m[3]: "Ola",
                                       m[4]: "Kari", m[5]: "blank"})
    result = run(chair, meeting, "vote.close", vote=second["vote"])
    assert result["round"] == 2 and result["winner"] == "Kari"  # 3 of 6: not a majority, but the most votes


def test_law_21_section_7_8_a_tie_in_the_new_round_is_drawn_by_lot_reproducible_from_the_log(council):
    meeting, vote = election(council, candidates=("Kari", "Per"))
    chair, m = council.chair, council.members
    tie = {chair: "Kari", m[0]: "Kari", m[1]: "Kari", m[2]: "Per", m[3]: "Per", m[4]: "Per", m[5]: "blank"}
    first = run(chair, meeting, "vote.close", vote=(cast_all(meeting, vote, tie) or vote))
    assert first["tie"] and first["new_round"] and first["lot"] is None  # a first-round tie goes to round 2
    second = first["new_round_vote"]
    cast_all(meeting, second, tie)
    result = run(chair, meeting, "vote.close", vote=second)
    assert result["tie"] and not result["casting_vote"]  # never the chair's vote in an election (§ 11-9 (2))
    lot = result["lot"]
    assert lot["candidates"] == ["Kari", "Per"] and result["winner"] == lot["drawn"] in ("Kari", "Per")
    # Anyone holding the log draws it again: the seed is the vote.closed event's prev_digest.
    closed = MeetingEvent.objects.get(meeting=meeting, type="vote.closed", payload__vote=second)
    assert lot["seed"] == closed.prev_digest
    assert draw_lot(closed.prev_digest, second, ["Per", "Kari"]) == lot["drawn"]
    assert closed.payload["result"]["lot"] == lot


def test_law_21_section_7_8_the_lot_depends_on_the_chain_so_it_cannot_be_chosen():
    drawn = {draw_lot(f"{n:064x}", 3, ["Kari", "Per"]) for n in range(40)}
    assert drawn == {"Kari", "Per"}


def test_law_21_section_11_9_2_an_appointment_tie_in_the_new_round_is_decided_by_the_chair(council):
    meeting, vote = election(council, kind="appointment", candidates=("Søker A", "Søker B"))
    chair, m = council.chair, council.members
    tie = {chair: "Søker B", m[0]: "Søker B", m[1]: "Søker B", m[2]: "Søker A", m[3]: "Søker A", m[4]: "Søker A",
           m[5]: "blank"}
    cast_all(meeting, vote, tie)
    first = run(chair, meeting, "vote.close", vote=vote)
    assert first["new_round"] and first["winner"] is None
    cast_all(meeting, first["new_round_vote"], tie)
    result = run(chair, meeting, "vote.close", vote=first["new_round_vote"])
    assert result["casting_vote"] and result["winner"] == "Søker B" and result["lot"] is None
    assert result["decision"] == "Ansatt: Søker B" and result["rule"] == "kommuneloven § 11-9 andre ledd"


def test_law_19_a_written_ballot_stores_no_link_between_member_and_choice(council):
    council.body.written_ballot_basis = "Reglement for kommunestyret § 14"
    council.body.save()
    meeting = open_item(council, with_media=[council.chair, *council.members])
    run(council.chair, meeting, "item.open", item_id=first_item(meeting))
    run(council.members[0], meeting, "vote.demand_written")
    vote = run(council.chair, meeting, "vote.open", kind="election", candidates=["Kari", "Per"], title="Valg")
    chair, m = council.chair, council.members
    choices = {chair: "Kari", m[0]: "Per", m[1]: "Kari", m[2]: "Kari", m[3]: "Per", m[4]: "blank", m[5]: "Kari"}
    cast_all(meeting, vote, choices)
    result = run(chair, meeting, "vote.close", vote=vote)
    assert result["written"] and result["named"] == {}
    assert result["counts"] == {"Kari": 4, "Per": 2, "blank": 1} and result["winner"] == "Kari"
    casts = MeetingEvent.objects.filter(meeting=meeting, type="vote.cast")
    assert casts.count() == 7 and all("choice" not in e.payload for e in casts)
    everything = " ".join(str(e.payload) + str(e.public_payload) for e in MeetingEvent.objects.filter(meeting=meeting))
    everything += str(Meeting.objects.get(id=meeting.id).live_state)
    for user in choices:
        name = council.person(user).name
        assert f"'{name}', 'choice'" not in everything
    assert set(live(meeting)["votes"][str(vote)]["ballots"].values()) == {"written"}
    # The tally row holds totals only: nothing to join it with the members.
    assert [f.name for f in WrittenBallotTally._meta.get_fields()] == ["id", "meeting", "vote", "counts"]


def test_law_19_a_written_ballot_is_refused_where_the_rules_of_procedure_do_not_provide_for_one(council):
    meeting = open_item(council, with_media=[council.chair, *council.members])
    run(council.chair, meeting, "item.open", item_id=first_item(meeting))
    with pytest.raises(LegalRuleViolation) as err:
        run(council.members[0], meeting, "vote.demand_written")
    assert err.value.code == "written_ballot_not_allowed" and "§ 11-12" in str(err.value)
    with pytest.raises(LegalRuleViolation):
        run(council.chair, meeting, "vote.open", kind="election", candidates=["Kari"], written=True)


def test_law_19_the_ordforer_election_is_never_written_and_an_ordinary_vote_is_never_written(council):
    council.body.written_ballot_basis = "Reglement for kommunestyret § 14"
    council.body.save()
    meeting = open_item(council, with_media=[council.chair, *council.members])
    run(council.chair, meeting, "item.open", item_id=first_item(meeting))
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "vote.open", kind="election", candidates=["Kari", "Per"], office="ordforer",
            written=True)
    assert "ordfører" in str(err.value) and "2019" in str(err.value)
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "vote.open", written=True)
    assert err.value.code == "written_ballot_not_allowed"
    # A member's demand does not make the ordfører election written: it is refused with the reason.
    run(council.members[0], meeting, "vote.demand_written")
    with pytest.raises(LegalRuleViolation):
        run(council.chair, meeting, "vote.open", kind="election", candidates=["Kari", "Per"], office="varaordforer")
