"""One test per legal rule the services enforce, named after its item in shared/LAW.md."""

import datetime as dt

import pytest
from django.utils import timezone

from meetings.exceptions import IllegalTransition, InvalidInput, LegalRuleViolation, NotEligible, PermissionDenied
from meetings.legal import ClosureGround
from meetings.models import Body, ExemptionProfile, Meeting
from meetings.services import agenda, attendance, meetings
from tests.factories import join_with_media, live, make_council, make_meeting, run, start_meeting


def everyone(council):
    return [council.chair, *council.members]


def open_first_item(council, meeting):
    start_meeting(council, meeting)
    item = meeting.items.first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    return item


def profile(**allows):
    today = timezone.localdate()
    return ExemptionProfile.objects.create(instrument="FOR-2026-TEST", title="Test", enabled=True,
                                           valid_from=today - dt.timedelta(days=1),
                                           valid_to=today + dt.timedelta(days=1), **allows)


def test_law_01_remote_meeting_needs_the_councils_decision(db):
    council = make_council(remote_allowed=False, slug="nore")
    # The council itself may decide its own remote meetings (test_body_rules.py); a committee may not.
    Body.objects.filter(id=council.body.id).update(body_type="utvalg")
    with pytest.raises(LegalRuleViolation, match="11-7 \\(1\\)"):
        meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="x",
                                scheduled_start=timezone.now(), form="remote")
    physical = meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="x",
                                       scheduled_start=timezone.now(), form="physical")
    assert physical.form == "physical"


def test_law_02_joining_remotely_makes_a_physical_meeting_remote_so_it_is_refused(council):
    meeting = make_meeting(council, form="physical")
    run(council.chair, meeting, "meeting.open")
    with pytest.raises(LegalRuleViolation) as err:
        run(council.members[0], meeting, "member.join")
    assert err.value.code == "physical_meeting"
    # The chair's roll call records physical attendance instead.
    run(council.chair, meeting, "roll_call", present=[council.pid(council.members[0])])
    assert live(meeting)["attendance"][str(council.pid(council.members[0]))]["remote"] is False


def test_law_03_member_who_cannot_hear_is_not_present_for_the_vote(council, meeting):
    item = open_first_item(council, meeting)
    deaf = council.members[0]
    attendance.member_media_report(meeting_id=meeting.id, person_id=council.pid(deaf), receives=False,
                                   reason="no RTCP from member")
    state = live(meeting)
    assert str(council.pid(deaf)) not in state["items"][str(item.id)]["present_throughout"]
    vote = run(council.chair, meeting, "vote.open")
    with pytest.raises(NotEligible):
        run(deaf, meeting, "vote.cast", vote=vote, choice="for")


def test_law_03_audio_only_member_is_degraded_without_an_exemption(council, meeting):
    open_first_item(council, meeting)
    member = council.members[1]
    run(member, meeting, "member.audio_only", on=True)
    vote = run(council.chair, meeting, "vote.open")
    with pytest.raises(NotEligible):
        run(member, meeting, "vote.cast", vote=vote, choice="for")


def test_law_05_mandatory_closure_item_cannot_go_on_a_remote_meeting(council):
    meeting = make_meeting(council, publish=False)
    with pytest.raises(LegalRuleViolation, match="11-7 \\(3\\)"):
        agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 9/26", title="Personalsak",
                        planned_closure_ground=ClosureGround.EMPLOYEE_MATTER)
    # An optional closure ground is fine in a remote meeting.
    agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 10/26", title="Skjenkesak",
                    planned_closure_ground=ClosureGround.PRIVACY)


def test_law_05_physical_meeting_with_mandatory_closure_cannot_become_remote(council):
    meeting = make_meeting(council, form="physical", publish=False, closure_item=ClosureGround.EMPLOYEE_MATTER)
    with pytest.raises(LegalRuleViolation) as err:
        meetings.meeting_set_form(user=council.clerk, meeting_id=meeting.id, form="remote")
    assert err.value.code == "mandatory_closure_remote"


def test_law_05_and_31_exemption_in_force_allows_mandatory_closure_remotely(council):
    meeting = make_meeting(council, publish=False)
    p = profile(allows_closed_11_5_2_remote=True)
    meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=p.id)
    item = agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 9/26", title="Personalsak",
                           planned_closure_ground=ClosureGround.EMPLOYEE_MATTER)
    assert item.id


def test_law_31_exemption_profile_is_refused_outside_its_window(council, meeting):
    expired = ExemptionProfile.objects.create(
        instrument="FOR-2020-03-13-277", title="Covid", enabled=True, valid_from=dt.date(2020, 3, 13),
        valid_to=dt.date(2020, 8, 1), allows_audio_only=True)
    with pytest.raises(LegalRuleViolation) as err:
        meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=expired.id)
    assert err.value.code == "exemption_not_in_force"
    disabled = profile(allows_audio_only=True)
    disabled.enabled = False
    disabled.save()
    with pytest.raises(LegalRuleViolation):
        meetings.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=disabled.id)


def test_law_31_audio_only_mode_needs_a_profile_and_then_counts_audio_only_members(council, meeting):
    open_first_item(council, meeting)
    with pytest.raises(LegalRuleViolation) as err:
        run(council.chair, meeting, "meeting.set_mode", mode="audio_only")
    assert err.value.code == "mode_not_allowed"
    p = profile(allows_audio_only=True)
    Meeting.objects.filter(id=meeting.id).update(exemption_profile=p)
    run(council.chair, meeting, "meeting.set_mode", mode="audio_only", reason="nettverksproblemer")
    event = Meeting.objects.get(id=meeting.id).events.get(type="mode.changed")
    assert event.payload["instrument"] == "FOR-2026-TEST"
    member = council.members[0]
    attendance.member_media_report(meeting_id=meeting.id, person_id=council.pid(member), sends_video=False)
    vote = run(council.chair, meeting, "vote.open")
    assert run(member, meeting, "vote.cast", vote=vote, choice="for") == 1


def test_law_08_a_notice_needs_a_case_list_and_carries_time_form_and_every_case(council):
    empty = meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="Tomt møte",
                                    scheduled_start=timezone.now())
    with pytest.raises(LegalRuleViolation) as exc:
        meetings.meeting_publish_notice(user=council.clerk, meeting_id=empty.id)
    assert exc.value.code == "empty_case_list"
    assert Meeting.objects.get(id=empty.id).notice_published_at is None
    meeting = make_meeting(council, publish=False)
    with pytest.raises(PermissionDenied):
        meetings.meeting_publish_notice(user=council.members[0], meeting_id=meeting.id)
    meetings.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id)
    notice = meeting.events.get(type="notice.published").payload
    assert notice["form"] == "remote" and notice["scheduled_start"]
    assert [i["case_number"] for i in notice["items"]] == ["PS 1/26", "PS 2/26", "PS 3/26"]


def test_law_09_the_notice_is_public_even_for_a_closed_item_without_its_exempt_parts(council):
    from rest_framework.test import APIClient

    meeting = make_meeting(council, publish=False, closure_item=ClosureGround.PRIVACY)
    item = meeting.items.get(case_number="PS 99/26")
    agenda.document_add(user=council.clerk, item_id=item.id, title="Legeerklæring", public=False,
                        exemption_basis="offentleglova § 13")
    agenda.document_add(user=council.clerk, item_id=item.id, title="Saksframlegg (offentlig)")
    meetings.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id)
    notice = APIClient().get(f"/api/meetings/{meeting.id}/notice/").json()
    closed = next(i for i in notice["items"] if i["case_number"] == "PS 99/26")
    # Announced, with its case number, public title, ground and public papers (§ 11-3 (2), (3)) ...
    assert closed["title"] == "Unntatt sak" and closed["planned_closure_ground"] == ClosureGround.PRIVACY
    assert [d["title"] for d in closed["documents"]] == ["Saksframlegg (offentlig)"]
    # ... but not its exempt content.
    assert closed["recommendation"] == "" and "Klage" not in str(closed)
    public_log = meeting.events.get(type="notice.published").public_payload
    assert any(i["title"] == "Unntatt sak" for i in public_log["items"])


def test_law_10_late_item_is_refused_when_a_third_of_those_present_object(council, meeting):
    start_meeting(council, meeting)  # 5 present
    objectors = [council.pid(u) for u in council.members[:2]]  # 2 of 5 >= 1/3
    assert run(council.chair, meeting, "item.add_late", case_number="PS 50/26", title="Hastesak",
               objecting_person_ids=objectors) is None
    added = run(council.chair, meeting, "item.add_late", case_number="PS 51/26", title="Hastesak 2",
                objecting_person_ids=objectors[:1])
    assert added["id"]
    assert run(council.chair, meeting, "item.add_late", case_number="PS 52/26", title="Hastesak 3",
               chair_objects=True) is None


def test_law_11_only_chair_or_deputy_chair_leads_unless_elected(council, meeting):
    start_meeting(council, meeting)
    member = council.members[0]
    with pytest.raises(LegalRuleViolation):
        run(council.chair, meeting, "meeting.set_chair", person_id=council.pid(member))
    run(council.chair, meeting, "meeting.set_chair", person_id=council.pid(member), elected=True)
    assert live(meeting)["meeting"]["chair"] == str(council.pid(member))
    with pytest.raises(PermissionDenied):
        run(council.chair, meeting, "floor.grant", person_id=council.pid(member))


def test_law_12_any_member_may_ask_the_chair_a_question_without_an_item(council, meeting):
    start_meeting(council, meeting)
    run(council.members[2], meeting, "question.ask", text="Når kommer svaret om fergetilbudet?")
    assert live(meeting)["questions"][0]["text"].startswith("Når kommer")


def test_law_15_closure_needs_a_legal_ground(council, meeting):
    open_first_item(council, meeting)
    with pytest.raises(InvalidInput):
        run(council.chair, meeting, "doors.motion", ground="because")
    with pytest.raises(LegalRuleViolation, match="11-7 \\(3\\)"):
        run(council.chair, meeting, "doors.motion", ground=ClosureGround.CONFIDENTIALITY)


def test_law_16_vote_on_closing_is_held_in_open_session(council, meeting):
    item = open_first_item(council, meeting)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PRIVACY, reason="helseopplysninger")
    run(council.chair, meeting, "doors.close_debate")
    assert live(meeting)["doors"]["closed"] is True
    vote = run(council.chair, meeting, "vote.open", kind="closure")
    state = live(meeting)
    assert state["doors"]["closed"] is False  # reopened for the vote
    opened = Meeting.objects.get(id=meeting.id).events.get(type="vote.opened")
    assert opened.public_payload is not None
    for u in everyone(council):
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    state = live(meeting)
    assert state["doors"] == {**state["doors"], "closed": True, "ground": ClosureGround.PRIVACY, "item": str(item.id)}
    closed = Meeting.objects.get(id=meeting.id).events.get(type="doors.closed")
    assert closed.public_payload["ground"] == ClosureGround.PRIVACY
    # Content of the closed part does not reach the public.
    run(council.members[0], meeting, "floor.request")
    assert Meeting.objects.get(id=meeting.id).events.get(type="floor.requested").public_payload is None
    run(council.chair, meeting, "doors.open")
    assert live(meeting)["doors"]["closed"] is False


def test_law_16_rejected_closure_keeps_the_doors_open(council, meeting):
    open_first_item(council, meeting)
    run(council.chair, meeting, "doors.motion", ground=ClosureGround.PUBLIC_INTEREST)
    vote = run(council.chair, meeting, "vote.open", kind="closure")
    for u in everyone(council):
        run(u, meeting, "vote.cast", vote=vote, choice="against")
    run(council.chair, meeting, "vote.close", vote=vote)
    state = live(meeting)
    assert state["doors"]["closed"] is False and state["closure_motion"] is None


def test_law_18_absence_and_deputy_by_rank_from_the_same_party(council, meeting):
    run(council.chair, meeting, "meeting.open")
    absent = council.members[1]  # party H (index 1 -> parties[1])
    run(council.chair, meeting, "absence.register", person_id=council.pid(absent), reason="sykdom")
    deputy_person = attendance.deputy_summon(user=council.chair, meeting_id=meeting.id,
                                             for_member_id=council.pid(absent))
    assert deputy_person.party == council.person(absent).party
    deputy_user = deputy_person.user
    join_with_media(deputy_user, meeting)
    att = live(meeting)["attendance"][str(deputy_person.id)]
    assert att["substitute_for"] == str(council.pid(absent))
    # A deputy who was not summoned may not take part.
    other = next(u for u in council.deputies if u != deputy_user)
    with pytest.raises(PermissionDenied):
        join_with_media(other, meeting)


def test_law_19_ordinary_votes_have_no_abstention_and_elections_allow_blank(council, meeting):
    open_first_item(council, meeting)
    vote = run(council.chair, meeting, "vote.open")
    with pytest.raises(InvalidInput, match="8-1"):
        run(council.members[0], meeting, "vote.cast", vote=vote, choice="blank")
    for u in everyone(council):
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    run(council.chair, meeting, "vote.close", vote=vote)
    election = run(council.chair, meeting, "vote.open", kind="election", candidates=["Anne", "Per"])
    run(council.members[0], meeting, "vote.cast", vote=election, choice="blank")
    for u in [council.chair, *council.members[1:]]:
        run(u, meeting, "vote.cast", vote=election, choice="Anne")
    result = run(council.chair, meeting, "vote.close", vote=election)
    assert result["winner"] == "Anne" and result["counts"]["blank"] == 1


def test_law_19_a_member_votes_once(council, meeting):
    open_first_item(council, meeting)
    vote = run(council.chair, meeting, "vote.open")
    run(council.members[0], meeting, "vote.cast", vote=vote, choice="for")
    with pytest.raises(LegalRuleViolation) as err:
        run(council.members[0], meeting, "vote.cast", vote=vote, choice="against")
    assert err.value.code == "already_voted"
    run(council.chair, meeting, "vote.close", vote=vote)
    with pytest.raises(IllegalTransition):
        run(council.members[1], meeting, "vote.cast", vote=vote, choice="for")


def test_law_20_quorum_needs_half_the_members_present_throughout_and_voting(db):
    council = make_council(seats=7, slug="q7")
    meeting = make_meeting(council)
    run(council.chair, meeting, "meeting.open")
    for u in [council.chair, *council.members[:4]]:
        join_with_media(u, meeting)
    item = meeting.items.first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    # Two leave during the debate; one arrives late: 3 remain "present throughout" (< ceil(7/2) = 4).
    run(council.members[0], meeting, "member.leave")
    run(council.members[1], meeting, "member.leave")
    join_with_media(council.members[5], meeting)
    vote = run(council.chair, meeting, "vote.open")
    for u in [council.chair, *council.members[2:4], council.members[5]]:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    result = run(council.chair, meeting, "vote.close", vote=vote)
    quorum = {k: result["quorum"][k] for k in ("required", "present_throughout_and_voted", "met")}
    assert quorum == {"required": 4, "present_throughout_and_voted": 3, "met": False}
    assert result["quorum"]["text"]["nb"].startswith("3 av 7 medlemmer var til stede under hele behandlingen og "
                                                     "stemte; 4 kreves")
    # The late arrival's ballot is in the tally but not in the quorum, and the result says why.
    late = str(council.pid(council.members[5]))
    assert result["not_in_quorum"] == {late: {"name": "Medlem 6", "reason": "joined_late"}}
    left = {str(council.pid(u)) for u in council.members[:2]}
    assert {p for p, e in result["not_eligible"].items() if e["reason"] == "left"} == left
    assert result["adopted"] is False


def test_law_21_chair_has_the_casting_vote_on_a_tie(db):
    council = make_council(seats=4, slug="tie4")
    meeting = make_meeting(council)
    open_first_item(council, meeting)
    vote = run(council.chair, meeting, "vote.open")
    run(council.chair, meeting, "vote.cast", vote=vote, choice="for")
    run(council.members[0], meeting, "vote.cast", vote=vote, choice="for")
    run(council.members[1], meeting, "vote.cast", vote=vote, choice="against")
    run(council.members[2], meeting, "vote.cast", vote=vote, choice="against")
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert result["tie"] and result["casting_vote"] and result["adopted"]


def test_law_21_no_casting_vote_in_elections(db):
    council = make_council(seats=4, slug="el4")
    meeting = make_meeting(council)
    open_first_item(council, meeting)
    vote = run(council.chair, meeting, "vote.open", kind="election", candidates=["A", "B"])
    for u, c in zip([council.chair, *council.members], ["A", "A", "B", "B"], strict=True):
        run(u, meeting, "vote.cast", vote=vote, choice=c)
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert result["tie"] and not result["casting_vote"] and result["winner"] is None


def test_law_21_majority_of_votes_cast(council, meeting):
    open_first_item(council, meeting)
    vote = run(council.chair, meeting, "vote.open")
    for u, c in zip(everyone(council), ["for", "for", "against", "against", "against"], strict=True):
        run(u, meeting, "vote.cast", vote=vote, choice=c)
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert result["counts"] == {"for": 2, "against": 3} and result["adopted"] is False
    assert set(result["named"]) == {str(council.pid(u)) for u in everyone(council)}


def test_law_23_recused_member_leaves_the_item_and_the_vote(council, meeting):
    item = open_first_item(council, meeting)
    member = council.members[0]
    run(member, meeting, "conflict.declare", item_id=item.id, reason="Søker er min svoger")
    run(council.chair, meeting, "conflict.rule", item_id=item.id, person_id=council.pid(member), recused=True,
        legal_basis="forvaltningsloven § 6 første ledd bokstav b")
    state = live(meeting)
    assert str(council.pid(member)) not in state["items"][str(item.id)]["present_throughout"]
    with pytest.raises(NotEligible):
        run(member, meeting, "floor.request")
    vote = run(council.chair, meeting, "vote.open")
    with pytest.raises(NotEligible):
        run(member, meeting, "vote.cast", vote=vote, choice="for")
    ruled = Meeting.objects.get(id=meeting.id).events.get(type="conflict.ruled")
    assert ruled.payload["legal_basis"].startswith("forvaltningsloven § 6")
