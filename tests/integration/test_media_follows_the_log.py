"""Member media driven by the meeting log: real aiortc peers, the real media worker reached through
the channel layer, and the real services deciding the floor. Who hears and sees whom is measured
by FFT and colour of what each peer decodes."""

from __future__ import annotations

import asyncio
import time
from typing import Self

import pytest
from channels.db import database_sync_to_async

from meetings.models import Meeting
from tests.conference.clients import Client
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import eventually
from tests.mediaworker.helpers import EmbeddedMedia

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_in_process")]


# Issue 4: a floor switch within a fraction of a second. Measured here, through the log, the channel
# layer and the media worker, with 4 peers in the test process: 0.20-0.35 s. The bound leaves room for
# a loaded CI machine.
SWITCH_LIMIT = 1.0


async def test_the_floor_in_the_log_decides_who_hears_and_sees_whom():
    council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="media")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    users = [council.chair, *council.members]  # tone/colour index 1 = chair, 2..4 = members
    pids = [await database_sync_to_async(council.pid)(u) for u in users]
    tone = {pid: i + 1 for i, pid in enumerate(pids)}
    clients = {pid: Client(tone[pid]) for pid in pids}
    async with EmbeddedMedia() as media:
        await media.connect_all(meeting.id, clients)
        chair, a, b, c = pids
        item = await database_sync_to_async(lambda: meeting.items.first())()
        await database_sync_to_async(run)(council.chair, meeting, "item.open", item_id=item.id)

        # Nobody holds the floor: everyone hears and sees only the chair.
        await eventually(lambda: all(clients[p].heard() == {tone[chair]} for p in (a, b, c)))
        await eventually(lambda: all(tone[chair] in clients[p].seen() for p in (a, b, c)))

        # The chair gives member A the floor: everyone else hears A and the chair, B and C reach no one.
        def floor_reached(speaker: int) -> bool:
            # Everyone else hears and sees exactly the speaker and the chair; the chair hears the speaker.
            others = [p for p in pids if p not in (chair, speaker)]
            return (all(clients[p].heard(0.2) == {tone[speaker], tone[chair]} for p in others)
                    and all(clients[p].seen(0.2) == {tone[speaker], tone[chair]} for p in others)
                    and clients[chair].heard(0.2) == {tone[speaker]})

        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=a)
        await eventually(lambda: floor_reached(a), step=0.02)
        switch_a = time.monotonic() - t0
        assert tone[b] not in clients[c].heard() and tone[c] not in clients[b].heard()

        # The floor moves to B (a reply): A stops reaching the others.
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await database_sync_to_async(run)(council.chair, meeting, "floor.grant", person_id=b)
        await eventually(lambda: floor_reached(b), step=0.02)
        switch_b = time.monotonic() - t0
        print(f"floor switch through the log: {switch_a:.2f} s, {switch_b:.2f} s")
        assert max(switch_a, switch_b) < SWITCH_LIMIT, (switch_a, switch_b)

        # B leaves the meeting: B's media stops everywhere.
        await database_sync_to_async(run)(council.members[1], meeting, "member.leave")
        await eventually(lambda: clients[c].heard(0.4) == {tone[chair]})

        # C's microphone dies: the media server notices and the log says C cannot be heard,
        # so C drops out of the item's quorum base (§ 11-7 (2), § 11-9).
        clients[c].tone.stop()
        def c_muted() -> bool:
            state = Meeting.objects.get(id=meeting.id).live_state
            return state["attendance"][str(c)]["media"]["sends_audio"] is False
        for _ in range(100):
            if await database_sync_to_async(c_muted)():
                break
            await asyncio.sleep(0.1)
        state = await database_sync_to_async(lambda: Meeting.objects.get(id=meeting.id).live_state)()
        assert state["attendance"][str(c)]["media"]["sends_audio"] is False
        assert str(c) not in state["items"][str(item.id)]["present_throughout"]


class MediaMeeting:
    """A meeting in session with an item open, member A holding the floor, and a real aiortc peer
    per participant (tone/colour 1 = chair, 2 = A, 3 = B, 4 = C) connected through the media worker."""

    async def __aenter__(self) -> Self:
        self.council = await database_sync_to_async(make_council)(seats=4, deputies=0, slug="media2")
        self.meeting = await database_sync_to_async(make_meeting)(self.council)
        await database_sync_to_async(start_meeting)(self.council, self.meeting)
        users = [self.council.chair, *self.council.members]
        self.pids = [await database_sync_to_async(self.council.pid)(u) for u in users]
        self.user = dict(zip(self.pids, users, strict=True))
        self.tone = {pid: i + 1 for i, pid in enumerate(self.pids)}
        self.clients = {pid: Client(self.tone[pid]) for pid in self.pids}
        self.media = await EmbeddedMedia().__aenter__()
        await self.media.connect_all(self.meeting.id, self.clients)
        self.chair, self.a, self.b, self.c = self.pids
        item = await database_sync_to_async(lambda: self.meeting.items.first())()
        await self.run(self.council.chair, "item.open", item_id=item.id)
        await self.run(self.council.chair, "floor.grant", person_id=self.a)
        return self

    async def run(self, user, name: str, **payload):
        return await database_sync_to_async(run)(user, self.meeting, name, **payload)

    async def media_events(self, person: int) -> list[dict]:
        from meetings.models import MeetingEvent

        return await database_sync_to_async(lambda: [
            e.payload for e in MeetingEvent.objects.filter(meeting=self.meeting, type="member.media").order_by("seq")
            if e.payload["person"] == person])()

    async def __aexit__(self, *exc: object) -> None:
        await self.media.__aexit__(*exc)


async def assert_audio_only(m: MediaMeeting, person: int) -> None:
    """Video to `person` has stopped and stays stopped; the floor's audio keeps reaching them."""
    client = m.clients[person]
    await asyncio.sleep(0.5)  # frames already on their way when the slot was emptied
    since = time.monotonic()
    await asyncio.sleep(1.5)
    assert client.video_frames_since(since) == 0
    assert client.heard(1.0) == {m.tone[m.a], m.tone[m.chair]}
    others = [p for p in m.pids if p not in (person, m.chair, m.a)]
    assert all(m.tone[m.a] in m.clients[p].seen(0.5) for p in others)  # nobody else lost video


async def test_it_logs_a_members_choice_of_audio_only_and_stops_only_their_video():
    async with MediaMeeting() as m:
        await eventually(lambda: all({m.tone[m.a], m.tone[m.chair]} <= m.clients[p].seen(0.4) for p in (m.b, m.c)))
        await m.run(m.user[m.c], "member.audio_only", on=True)
        [event] = [e for e in await m.media_events(m.c) if "audio_only" in e]
        assert event["audio_only"] is True and event["reason"] == "member's choice"
        await assert_audio_only(m, m.c)


async def test_it_degrades_a_member_on_a_lossy_link_to_audio_only_and_logs_it():
    async with MediaMeeting() as m:
        await eventually(lambda: {m.tone[m.a], m.tone[m.chair]} <= m.clients[m.c].seen(0.4))
        # C's downlink drops every third packet (real loss on C's side; C's RTCP reports it).
        transport = m.clients[m.c].pc.getTransceivers()[0].receiver.transport
        deliver, count = transport._handle_rtp_data, [0]

        async def lossy(data: bytes, arrival_time_ms: int) -> None:
            count[0] += 1
            if count[0] % 3:
                await deliver(data, arrival_time_ms)

        transport._handle_rtp_data = lossy
        for _ in range(150):
            events = [e for e in await m.media_events(m.c) if e.get("audio_only")]
            if events:
                break
            await asyncio.sleep(0.1)
        transport._handle_rtp_data = deliver  # the link recovers; the degraded state stays
        assert events and "packet loss" in events[0]["reason"], await m.media_events(m.c)
        await assert_audio_only(m, m.c)
