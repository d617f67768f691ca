from meetings.services.log import log_verify
from tests.factories import live, run, start_meeting


def test_it_runs_a_meeting_through_the_services(council, meeting):
    start_meeting(council, meeting)
    item = meeting.items.first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.members[0], meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")
    n = run(council.members[0], meeting, "proposal.submit", text="Saken utsettes.")
    vote = run(council.chair, meeting, "vote.open", proposals=[n])
    for u in [council.chair, *council.members]:
        run(u, meeting, "vote.cast", vote=vote, choice="for")
    result = run(council.chair, meeting, "vote.close", vote=vote)
    assert result["adopted"] is True
    assert result["decision"] == "Saken utsettes."
    assert live(meeting)["items"][str(item.id)]["decision"] == "Saken utsettes."
    assert log_verify(meeting_id=meeting.id) == live(meeting)["last_seq"]
