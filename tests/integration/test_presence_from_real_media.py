"""Presence measured from real media (LAW items 3 and 20; kommuneloven § 11-7 (2), § 11-9 (1)).

Real aiortc peers connect through the embedded media worker reached over the channel layer; the
worker measures their media and writes `member.media` through the services, and the projection
decides who sees and hears (meetings/presence.py). Nothing here reports media by hand: every
presence fact comes from packets actually arriving. Tests wait on states, not on time, except where
the point is that nothing changes for a while.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Self

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from conference import gateway
from conference.room import ARRIVAL_WINDOW, MONITOR_INTERVAL, SETUP_GRACE
from meetings import events
from meetings.exceptions import NotEligible
from meetings.models import Meeting, MeetingEvent
from tests.conference.clients import Client
from tests.factories import make_council, make_meeting, run
from tests.helpers import eventually
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]

GRACE = 3.0  # MEDIA_PRESENCE_GRACE, the default, set explicitly so the bounds below are about it


@pytest.fixture(autouse=True)
def media_settings(media_in_process, settings):
    settings.MEDIA_PRESENCE_GRACE = GRACE


class RemoteMeeting:
    """A remote meeting in session: the chair and three members (tone/colour 1 = chair, 2 = A, 3 = B,
    4 = C) and one deputy. Nobody has joined yet; `join` registers a participant as present, `connect`
    connects their real aiortc peer through the media worker. `pushes` collects what the worker sends
    to the meeting's members (media.health, media.talking)."""

    def __init__(self, *, report_timeout: float | None = None) -> None:
        self.report_timeout = report_timeout

    async def __aenter__(self) -> Self:
        self.council = await database_sync_to_async(make_council)(seats=4, deputies=1, slug="prm")
        self.meeting = await database_sync_to_async(make_meeting)(self.council)
        await self.run(self.council.chair, "meeting.open")
        users = [self.council.chair, *self.council.members, *self.council.deputies]
        self.pids = [await database_sync_to_async(self.council.pid)(u) for u in users]
        self.user = dict(zip(self.pids, users, strict=True))
        self.chair, self.a, self.b, self.c, self.deputy = self.pids
        self.members = self.pids[:4]
        self.tone = {pid: i + 1 for i, pid in enumerate(self.pids)}
        self.clients: dict[int, Client] = {}
        self.media = await EmbeddedMedia().__aenter__()
        self.layer = get_channel_layer()
        self.pushes: list[dict[str, Any]] = []
        self._listener = await self.layer.new_channel()
        await self.layer.group_add(events.meeting_group(self.meeting.id), self._listener)
        self._listening = asyncio.ensure_future(self._listen())
        # The worker follows the meeting from the first member socket on (the consumer's "adopt").
        await events.send_media_request(meeting_id=self.meeting.id, person_id=self.chair, msg_type="adopt",
                                        payload={})
        return self

    async def _listen(self) -> None:
        while True:  # drained continuously: a full channel would silently drop group messages
            message = await self.layer.receive(self._listener)
            if message.get("type") == "media.message":
                self.pushes.append(message["payload"])

    def health(self, person: int) -> list[dict[str, Any]]:
        return [p for p in self.pushes if p.get("type") == "media.health" and p["person"] == person]

    async def run(self, user, name: str, **payload):
        return await database_sync_to_async(run)(user, self.meeting, name, **payload)

    async def join(self, *pids: int) -> None:
        for pid in pids:
            await self.run(self.user[pid], "member.join")

    async def connect(self, *pids: int) -> None:
        for pid in pids:
            client = self.clients[pid] = Client(self.tone[pid], report_timeout=self.report_timeout)
            await self.media.connect(self.meeting.id, pid, client)

    async def state(self) -> dict[str, Any]:
        return await database_sync_to_async(lambda: Meeting.objects.get(id=self.meeting.id).live_state)()

    async def presence(self, pid: int) -> dict[str, Any]:
        return (await self.state())["presence"][str(pid)]

    async def counts(self, *pids: int) -> bool:
        state = await self.state()
        return all(state["presence"][str(p)]["sees_and_hears"] for p in pids)

    async def media_events(self, person: int | None = None, after: int = 0) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            rows = MeetingEvent.objects.filter(meeting=self.meeting, type="member.media", seq__gt=after)
            return [{**e.payload, "seq": e.seq} for e in rows.order_by("seq")
                    if person is None or e.payload["person"] == person]

        return await database_sync_to_async(read)()

    async def open_item(self) -> str:
        item = await database_sync_to_async(lambda: self.meeting.items.order_by("order").first())()
        await self.run(self.council.chair, "item.open", item_id=item.id)
        return str(item.id)

    async def __aexit__(self, *exc: object) -> None:
        self._listening.cancel()
        await self.media.__aexit__(*exc)


async def vote_refusing(m: RemoteMeeting, refused: int, voters: tuple[int, ...]) -> dict[str, Any]:
    """A vote in which `refused` may not cast a ballot (refused with not_eligible) and `voters` vote for."""
    vote = await m.run(m.council.chair, "vote.open")
    with pytest.raises(NotEligible) as refusal:
        await m.run(m.user[refused], "vote.cast", vote=vote, choice="for")
    assert refusal.value.code == "not_eligible"
    for pid in voters:
        await m.run(m.user[pid], "vote.cast", vote=vote, choice="for")
    return await m.run(m.council.chair, "vote.close", vote=vote)


async def vote_with(m: RemoteMeeting, voters: list[int]) -> dict[str, Any]:
    vote = await m.run(m.council.chair, "vote.open")
    for pid in voters:
        await m.run(m.user[pid], "vote.cast", vote=vote, choice="for")
    return await m.run(m.council.chair, "vote.close", vote=vote)


async def test_law_03_20_member_present_without_media_is_connecting_not_counted_and_may_not_vote():
    async with RemoteMeeting() as m:
        await m.join(*m.members)
        await m.connect(m.chair, m.a, m.b)  # C registered as present, never connects media
        await eventually(lambda: m.counts(m.chair, m.a, m.b))
        await asyncio.sleep(1.0)  # the media server has had its say about everyone connected
        assert await m.presence(m.c) == {"sees_and_hears": False, "reason": "connecting"}
        assert await m.media_events(m.c) == []

        item = await m.open_item()
        state = await m.state()
        assert sorted(state["items"][item]["present_throughout"], key=int) == [str(p) for p in (m.chair, m.a, m.b)]
        assert state["items"][item]["not_present_at_start"][str(m.c)]["reason"] == "connecting"
        result = await vote_refusing(m, m.c, voters=(m.chair, m.a, m.b))
        assert result["not_eligible"][str(m.c)]["reason"] == "connecting"
        assert result["quorum"]["present_throughout_and_voted"] == 3


async def test_law_03_member_counts_within_the_grace_period_after_connecting_real_audio_and_video():
    async with RemoteMeeting() as m:
        await m.join(m.chair, m.a)
        await m.connect(m.chair)
        assert await m.presence(m.a) == {"sees_and_hears": False, "reason": "connecting"}
        start = time.monotonic()
        await m.connect(m.a)
        took = await eventually(lambda: m.counts(m.a), timeout=GRACE)
        print(f"counted {time.monotonic() - start:.2f} s after the offer (waited {took:.2f} s on the state)")
        [first] = await m.media_events(m.a)
        assert first["sends_audio"] and first["sends_video"] and first["receives"]
        assert "audio packets arriving" in first["reason"] and "video frames arriving" in first["reason"]


async def test_law_03_20_member_whose_audio_stops_stops_counting_drops_out_and_may_not_vote():
    async with RemoteMeeting() as m:
        await m.join(*m.members)
        await m.connect(*m.members)
        await eventually(lambda: m.counts(*m.members))
        item = await m.open_item()
        assert len((await m.state())["items"][item]["present_throughout"]) == 4
        await m.run(m.council.chair, "floor.grant", person_id=m.c)
        chair = m.clients[m.chair]
        await eventually(lambda: m.tone[m.c] in chair.heard())

        # Muting is not a loss: a muted track still sends (silence), so C still counts.
        logged = (await m.media_events())[-1]["seq"]
        m.clients[m.c].tone.amplitude = 0.0
        await eventually(lambda: m.tone[m.c] not in chair.heard())  # the mute is real
        await asyncio.sleep(ARRIVAL_WINDOW + GRACE + 2 * MONITOR_INTERVAL + 1.0)
        assert await m.media_events(m.c, after=logged) == []
        assert await m.presence(m.c) == {"sees_and_hears": True, "reason": None}
        assert str(m.c) in (await m.state())["items"][item]["present_throughout"]

        # The microphone's track stops: no audio packets arrive any more.
        m.clients[m.c].audio_transceiver.sender.replaceTrack(None)
        stopped = time.monotonic()
        await eventually(lambda: _reason_is(m, m.c, "no_audio"), timeout=ARRIVAL_WINDOW + GRACE + 5)
        took = time.monotonic() - stopped
        print(f"audio stop counted after {took:.2f} s (arrival window {ARRIVAL_WINDOW} s + grace {GRACE} s)")
        assert GRACE <= took < ARRIVAL_WINDOW + GRACE + 2 * MONITOR_INTERVAL + 1.5
        [event] = await m.media_events(m.c, after=logged)
        assert event["sends_audio"] is False and "sends_video" not in event
        assert event["reason"].startswith("no audio packets for ")
        # While it was pending the chair saw it turning, and why; then nothing pending.
        turning = [h for h in m.health(m.c) if h["turning"]]
        assert turning and turning[0]["turning"] == {"sends_audio": False}
        assert turning[0]["reason"].startswith("no audio packets for ") and 0 < turning[0]["in_seconds"] <= GRACE
        await eventually(lambda: m.health(m.c)[-1]["turning"] == {}, timeout=2)

        state = await m.state()
        assert str(m.c) not in state["items"][item]["present_throughout"]
        dropped = state["items"][item]["dropped_out"][str(m.c)]
        assert dropped["reason"] == "no_audio" and dropped["seq"] == event["seq"]
        result = await vote_refusing(m, m.c, voters=(m.chair, m.a, m.b))
        assert result["not_eligible"][str(m.c)]["reason"] == "no_audio"
        assert result["quorum"]["present_throughout_and_voted"] == 3


async def _reason_is(m: RemoteMeeting, pid: int, reason: str) -> bool:
    return (await m.presence(pid))["reason"] == reason


async def test_law_03_member_registered_in_the_room_counts_without_media():
    async with RemoteMeeting() as m:
        await m.join(*m.members)
        await m.connect(m.chair, m.a, m.b)
        await eventually(lambda: m.counts(m.chair, m.a, m.b))
        assert await m.presence(m.c) == {"sees_and_hears": False, "reason": "connecting"}
        await m.run(m.council.chair, "member.in_room", person_id=m.c, in_room=True)
        assert await m.presence(m.c) == {"sees_and_hears": True, "reason": None}
        item = await m.open_item()
        assert str(m.c) in (await m.state())["items"][item]["present_throughout"]
        result = await vote_with(m, m.members)
        assert result["counts"]["for"] == 4 and result["not_eligible"] == {}
        assert result["quorum"]["present_throughout_and_voted"] == 4


async def test_law_03_20_members_on_steady_media_stay_present_throughout_while_the_floor_passes():
    # Receivers report only about streams that delivered packets in the last 2 s (libwebrtc: 8 s), so
    # whenever the floor moves, forwarding to the chair stops and (re)starts with no recent reports.
    async with RemoteMeeting(report_timeout=2.0) as m:
        await m.join(*m.members)
        await m.connect(*m.members)
        await eventually(lambda: m.counts(*m.members))
        item = await m.open_item()
        before = (await m.state())["items"][item]["present_throughout"]
        assert len(before) == 4
        logged = (await m.media_events())[-1]["seq"]
        chair = m.clients[m.chair]
        for speaker in (m.a, m.b, m.c):
            await m.run(m.council.chair, "floor.grant", person_id=speaker)
            await eventually(lambda s=speaker: m.tone[s] in chair.heard(0.3), timeout=5)
            await asyncio.sleep(2.0)
            await m.run(m.council.chair, "floor.end")
            # Long enough for the chair's reports to stop and for any report window to run out.
            await asyncio.sleep(4.5)
        assert await m.media_events(after=logged) == []  # not one change in the log
        # Not even hidden by the grace period: the floor moving never made anyone's "receives" turn.
        assert [h for h in m.pushes if h.get("type") == "media.health" and "receives" in h["turning"]] == []
        state = await m.state()
        assert state["items"][item]["present_throughout"] == before
        assert state["items"][item]["dropped_out"] == {}
        result = await vote_with(m, m.members)
        assert result["counts"]["for"] == 4 and result["not_eligible"] == {}
        assert result["quorum"]["present_throughout_and_voted"] == 4


def measured(room, pid: int) -> bool:
    """The room holds a measurement of `pid` (whether or not the log took it)."""
    health = room._health.get(pid)
    return health is not None and health.counted is not None


async def test_law_03_deputy_whose_media_connected_before_joining_is_measured_on_joining():
    async with RemoteMeeting() as m:
        await m.join(m.chair, m.a, m.b)
        await m.run(m.council.chair, "roll_call", absent={str(m.c): "Sykdom"})
        await m.run(m.council.chair, "deputy.summon", for_member_id=m.c, deputy_id=m.deputy)
        await m.connect(m.chair, m.deputy)  # the deputy's page connects media before registering
        room = gateway.rooms.get(m.meeting.id)
        await eventually(lambda: measured(room, m.deputy), timeout=SETUP_GRACE)
        await asyncio.sleep(2 * MONITOR_INTERVAL)
        assert await m.media_events(m.deputy) == []  # measured, but the log had no one to say it of
        await m.join(m.deputy)
        await eventually(lambda: m.counts(m.deputy), timeout=3)
        [event] = await m.media_events(m.deputy)
        assert event["sends_audio"] and event["sends_video"] and event["receives"]
        assert event["reason"].startswith("measured again on joining: ")

        # Leaving and rejoining while the peer lives (the page re-offers at once) is measured again too.
        await m.run(m.user[m.deputy], "member.leave")
        await eventually(lambda: m.deputy not in room.peers, timeout=3)
        await m.connect(m.deputy)
        await eventually(lambda: measured(room, m.deputy), timeout=SETUP_GRACE)
        await m.join(m.deputy)
        await eventually(lambda: m.counts(m.deputy), timeout=3)
