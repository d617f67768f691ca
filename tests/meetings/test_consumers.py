from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from meetings.legal import ClosureGround
from meetings.models import Meeting, MeetingEvent
from meetings.services.log import log_verify
from tests.factories import make_council, make_meeting, report_media
from tests.helpers import Socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def setup():
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    return council, meeting


async def member(council, meeting, user) -> Socket:
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(user))
    ok, _ = await s.connect()
    assert ok
    hello = await s.recv()
    assert hello["type"] == "hello"
    await s.call("sync", after=0)
    return s


async def log_types(meeting):
    return await database_sync_to_async(
        lambda: list(MeetingEvent.objects.filter(meeting=meeting).order_by("seq").values_list("seq", "type")))()


async def test_it_refuses_anonymous_foreign_and_unknown_with_their_close_codes(setup):
    council, meeting = setup
    assert await Socket(f"/ws/meetings/{meeting.id}/").refusal() == 4401
    outsider = await database_sync_to_async(make_council)(slug="other")
    assert await Socket(f"/ws/meetings/{meeting.id}/", await token_for(outsider.members[0])).refusal() == 4403
    assert await Socket("/ws/meetings/999999/", await token_for(council.chair)).refusal() == 4404
    assert await Socket("/ws/public/meetings/999999/").refusal() == 4404
    draft = await database_sync_to_async(make_meeting)(council, publish=False)
    assert await Socket(f"/ws/meetings/{draft.id}/", await token_for(council.chair)).refusal() == 4404
    assert await Socket(f"/ws/public/meetings/{draft.id}/").refusal() == 4404


@pytest.mark.parametrize("path", ["/ws/meetings/-1/", "/ws/meetings/0/", "/ws/meetings/abc/", "/ws/meetings/../",
                                  "/ws/meetings/\u0663/", "/ws/meetings/" + "9" * 40 + "/",
                                  f"/ws/meetings/{2**63}/", "/ws/public/meetings/1.5/", "/ws/nothing/", "/",
                                  "/ws/meetings/1/extra/"])
async def test_it_closes_a_path_that_names_no_socket_with_4404(setup, path):
    assert await Socket(path, await token_for(setup[0].chair)).refusal() == 4404


async def test_it_ignores_frames_on_a_refused_socket(setup):
    # A client may send before the refusal's close frame reaches it; the consumer must not run them.
    council, meeting = setup
    before = await log_types(meeting)
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(council.deputies[0]))  # not summoned: 4403
    assert (await s.comm.connect())[0]
    await s.comm.send_to(text_data=json.dumps({"type": "member.join", "id": 1}))
    assert (await s.comm.receive_output(3))["code"] == 4403
    assert await s.comm.receive_nothing(0.3)  # no reply: the frame never reached a handler
    assert await log_types(meeting) == before


async def test_it_admits_a_deputy_only_while_summoned(setup):
    council, meeting = setup
    deputy = council.deputies[0]
    path = f"/ws/meetings/{meeting.id}/"
    assert await Socket(path, await token_for(deputy)).refusal() == 4403
    chair = await member(council, meeting, council.chair)
    await chair.call("meeting.open")
    absent = await database_sync_to_async(council.pid)(council.members[0])
    assert (await chair.call("absence.register", person_id=absent, reason="sykdom"))["type"] == "ack"
    r = await chair.call("deputy.summon", for_member_id=absent)
    assert r["type"] == "ack", r
    s = Socket(path, await token_for(deputy))
    assert (await s.connect())[0]
    assert (await s.recv())["role"] == "deputy"
    for sock in (s, chair):
        await sock.close()


async def test_it_refuses_a_foreign_origin(setup):
    council, meeting = setup
    s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(council.chair), origin=[(b"origin", b"http://evil.example")])
    ok, _ = await s.connect()
    assert not ok



async def media_up(meeting, users):
    """What the media server reports once each member's camera and microphone arrive (this module
    tests the protocol, not media: presence from real media is tested in tests/integration)."""
    for u in users:
        await database_sync_to_async(report_media)(meeting, u)

async def test_every_member_and_the_public_see_the_same_events(setup):
    council, meeting = setup
    chair = await member(council, meeting, council.chair)
    members = [await member(council, meeting, u) for u in council.members]
    public = Socket(f"/ws/public/meetings/{meeting.id}/")
    assert (await public.connect())[0]
    first = await public.recv()
    assert first["type"] == "state" and first["state"]["meeting"]["id"] == meeting.id
    assert (await chair.call("meeting.open"))["type"] == "ack"
    for s in [chair, *members]:
        assert (await s.call("member.join"))["type"] == "ack"
    await media_up(meeting, [council.chair, *council.members])
    item = await database_sync_to_async(lambda: meeting.items.first())()
    await chair.call("item.open", item_id=item.id)
    await members[0].call("floor.request")
    await chair.call("floor.grant")
    n = (await members[0].call("proposal.submit", text="Forslag: saken utsettes"))["result"]
    vote = (await chair.call("vote.open", proposals=[n]))["result"]
    for s in [chair, *members]:
        r = await s.call("vote.cast", vote=vote, choice="for")
        assert r["type"] == "ack", r
    result = (await chair.call("vote.close", vote=vote))["result"]
    assert result["adopted"]
    for s in [chair, *members, public]:
        await s.drain()
    logged = await log_types(meeting)
    for s in [chair, *members]:
        assert [(e["seq"], e["event"]) for e in s.events] == logged
    public_seqs = [e["seq"] for e in public.events]
    assert public_seqs == sorted(set(public_seqs))
    assert "vote.closed" in [e["event"] for e in public.events]
    # The public saw the tally but not who voted what until the result.
    assert all("choice" not in json.dumps(e["payload"]) for e in public.events if e["event"] == "vote.cast")
    for s in [chair, *members, public]:
        await s.close()


async def test_the_public_never_sees_the_closed_part(setup):
    council, meeting = setup
    chair = await member(council, meeting, council.chair)
    others = [await member(council, meeting, u) for u in council.members]
    for s in [chair]:
        await s.call("meeting.open")
    for s in [chair, *others]:
        await s.call("member.join")
    await media_up(meeting, [council.chair, *council.members])
    item = await database_sync_to_async(lambda: meeting.items.first())()
    await chair.call("item.open", item_id=item.id)
    public = Socket(f"/ws/public/meetings/{meeting.id}/")
    await public.connect()
    await public.recv()
    await chair.call("doors.motion", ground=ClosureGround.PRIVACY, reason="helse")
    vote = (await chair.call("vote.open", kind="closure"))["result"]
    for s in [chair, *others]:
        await s.call("vote.cast", vote=vote, choice="for")
    await chair.call("vote.close", vote=vote)
    secret = "Hemmelig forslag om navngitt person"
    await others[0].call("floor.request")
    await chair.call("floor.grant")
    await others[0].call("proposal.submit", text=secret)
    await chair.call("doors.open")
    await public.drain()
    kinds = [e["event"] for e in public.events]
    assert "doors.closed" in kinds and "doors.opened" in kinds
    closed = next(e for e in public.events if e["event"] == "doors.closed")
    assert closed["payload"]["ground"] == ClosureGround.PRIVACY
    dumped = json.dumps(public.events, ensure_ascii=False)
    assert secret not in dumped
    assert "floor.granted" not in kinds[kinds.index("doors.closed"):kinds.index("doors.opened")]
    # The public state document never carries it either.
    await public.call("state")
    assert secret not in json.dumps(public.others[-1], ensure_ascii=False)
    for s in [chair, *others, public]:
        await s.close()


async def test_reconnecting_mid_vote_loses_and_duplicates_nothing(setup):
    council, meeting = setup
    chair = await member(council, meeting, council.chair)
    await chair.call("meeting.open")
    await chair.call("member.join")
    socks = {u: await member(council, meeting, u) for u in council.members}
    for s in socks.values():
        await s.call("member.join")
    await media_up(meeting, [council.chair, *council.members])
    item = await database_sync_to_async(lambda: meeting.items.first())()
    await chair.call("item.open", item_id=item.id)
    vote = (await chair.call("vote.open"))["result"]
    received = {u: [] for u in council.members}
    for i, u in enumerate(council.members):
        # Kill every member's connection, let others act meanwhile, then reconnect with sync.
        await socks[u].drain(0.1)
        received[u] += socks[u].events
        last = received[u][-1]["seq"]
        await socks[u].close()
        await chair.call("floor.request") if i == 0 else None
        s = Socket(f"/ws/meetings/{meeting.id}/", await token_for(u))
        await s.connect()
        await s.recv()
        await s.call("sync", after=last)
        r = await s.call("vote.cast", vote=vote, choice="against" if i % 2 else "for")
        assert r["type"] == "ack"
        socks[u] = s
    await chair.call("vote.cast", vote=vote, choice="for")
    await chair.call("vote.close", vote=vote)
    logged = await log_types(meeting)
    state = await database_sync_to_async(lambda: Meeting.objects.get(id=meeting.id).live_state)()
    for u, s in socks.items():
        await s.drain()
        seen = received[u] + s.events
        assert [e["seq"] for e in seen] == list(range(seen[0]["seq"], logged[-1][0] + 1))
        assert [(e["seq"], e["event"]) for e in seen] == [t for t in logged if t[0] >= seen[0]["seq"]]
        r = await s.call("state")
        assert isinstance(r["state"].pop("allowed"), list)  # this person's commands (tests/meetings/test_allowed.py)
        assert r["state"] == state
        await s.close()
    await chair.close()


@pytest.mark.parametrize("frame,code", [
    ("not json", "malformed_json"),
    ("[1,2]", "invalid_envelope"),
    ('{"id": 1}', "invalid_envelope"),
    ('{"type": "no.such", "id": 1}', "unknown_type"),
    ('{"type": "vote.cast", "id": 1, "payload": {"vote": "x"}}', "invalid_input"),
    ('{"type": "vote.cast", "id": 1, "payload": []}', "invalid_envelope"),
    ('{"type": "floor.request", "id": {"a": 1}}', "invalid_envelope"),
    ('{"type": "vote.open", "id": 2}', "forbidden"),
    ('{"type": "vote.cast", "id": 3, "payload": {"vote": 99, "choice": "for"}}', "not_found"),
    ('{"type": "sync", "id": 4, "payload": {"after": -1}}', "invalid_input"),
])
async def test_bad_input_gets_an_error_and_the_connection_goes_on(setup, frame, code):
    council, meeting = setup
    s = await member(council, meeting, council.members[0])
    await s.comm.send_to(text_data=frame)
    reply = await s.recv()
    assert reply["type"] == "error" and reply["error"]["code"] == code, reply
    pong = await s.call("ping")
    assert pong["type"] == "pong"
    await s.close()


async def test_oversized_frames_and_floods_are_refused(setup, settings):
    council, meeting = setup
    settings.WS_RATE_BURST = 5
    settings.WS_RATE_PER_SECOND = 1
    s = await member(council, meeting, council.members[0])
    await s.comm.send_to(text_data=json.dumps({"type": "ping", "payload": {"x": "a" * 70_000}}))
    assert (await s.recv())["error"]["code"] == "too_large"
    for _ in range(10):
        await s.comm.send_to(text_data='{"type": "ping"}')
    replies = [await s.recv() for _ in range(10)]
    assert any(r.get("error", {}).get("code") == "rate_limited" for r in replies)
    await s.close()


async def test_a_rate_limited_message_is_answered_with_its_id(setup, settings):
    council, meeting = setup
    settings.WS_RATE_BURST = 2
    settings.WS_RATE_PER_SECOND = 0.001  # no refill while the test runs
    s = await member(council, meeting, council.members[0])  # its sync takes one token
    assert (await s.call("ping", id="a"))["type"] == "pong"
    for frame in ['{"type": "ping", "id": "b"}', '{"type": "vote.cast", "id": 7, "payload": {"vote": "x"}}',
                  '{"type": "nonsense", "id": "c"}', '{"id": "d"}', "not json", '{"type": "ping", "id": [1]}']:
        await s.comm.send_to(text_data=frame)
    replies = [await s.recv() for _ in range(6)]
    assert [r["error"]["code"] for r in replies] == ["rate_limited"] * 6
    # The id when the envelope can be read, whatever else is wrong with the message; null otherwise.
    assert [r["in_response"] for r in replies] == ["b", 7, "c", "d", None, None]
    await s.close()


async def test_the_public_socket_is_read_only(setup):
    council, meeting = setup
    public = Socket(f"/ws/public/meetings/{meeting.id}/")
    await public.connect()
    await public.recv()
    r = await public.call("member.join")
    assert r["error"]["code"] == "forbidden"
    assert await database_sync_to_async(log_verify)(meeting_id=meeting.id) >= 1
    await public.close()


async def test_it_answers_ids_out_of_range_with_invalid_input_not_internal(setup):
    council, meeting = setup
    chair = await member(council, meeting, council.chair)
    await chair.call("meeting.open")
    seq = await database_sync_to_async(lambda: Meeting.objects.get(id=meeting.id).last_seq)()
    for type, payload in [("roll_call", {"absent": {"abc": "x"}}), ("roll_call", {"absent": {str(2**64): "x"}}),
                          ("absence.register", {"person_id": 2**70}), ("meeting.set_chair", {"person_id": 2**70}),
                          ("sync", {"after": 2**70})]:
        r = await chair.reply(await chair.send(type, payload))
        assert r["type"] == "error" and r["error"]["code"] == "invalid_input", (type, r)
    r = await chair.call("member.leave", person_id=999999)
    assert r["type"] == "error" and r["error"]["code"] == "not_found"
    assert (await chair.call("ping"))["type"] == "pong"
    assert await database_sync_to_async(lambda: Meeting.objects.get(id=meeting.id).last_seq)() == seq
    await chair.close()


async def test_it_answers_a_public_sync_far_behind_with_the_state_document_not_a_replay(setup, monkeypatch):
    from meetings import public_feed

    monkeypatch.setattr(public_feed, "VIEWER_QUEUE", 3)
    council, meeting = setup
    chair = await member(council, meeting, council.chair)
    await chair.call("meeting.open")
    public = Socket(f"/ws/public/meetings/{meeting.id}/")
    assert (await public.connect())[0]
    await public.recv()
    asker = await member(council, meeting, council.members[0])
    await asker.call("member.join")
    for n in range(6):
        assert (await asker.call("question.ask", text=f"spørsmål {n}"))["type"] == "ack"
    await public.drain()
    public.events.clear()
    reply = await public.call("sync", after=0)  # the whole log again: too far behind to replay
    assert reply["type"] == "state" and reply["state"]["seq"] >= 6
    assert public.events == []
    near = await public.call("sync", after=reply["seq"] - 2)  # close behind: replayed as events
    assert near["type"] == "ack" and [e["seq"] for e in public.events] == sorted(e["seq"] for e in public.events)
    await public.close()
    await asker.close()
    await chair.close()
