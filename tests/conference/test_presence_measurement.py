"""How the room measures whether a member sends and receives (LAW item 3, § 11-7 (2)): the grace
period, muting, receiver reports and consent checks, the floor moving, reconnects and remeasuring.
The bookkeeping is tested with a clock passed in; the measurements with real aiortc peers."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from conference.room import (
    ARRIVAL_WINDOW,
    CONSENT_WINDOW,
    MONITOR_INTERVAL,
    REPORT_WINDOW,
    MediaRoom,
    MemberHealth,
)
from tests.conference.clients import Client
from tests.conference.conftest import Recorder, wait_for

pytestmark = pytest.mark.media

CHAIR, A, B = 1, 2, 3
FULL = {"sends_audio": True, "sends_video": True, "receives": True}
NO_AUDIO = {**FULL, "sends_audio": False}


# The bookkeeping (no media)


def test_it_counts_a_loss_only_once_it_has_lasted_the_grace_period() -> None:
    health = MemberHealth()
    assert health.step(0.0, FULL, grace=3.0, setup_over=False) == ["sends_audio", "sends_video", "receives"]
    assert health.step(1.0, NO_AUDIO, grace=3.0, setup_over=True) == []
    assert health.turning() == {"sends_audio": False} and health.counts_in(2.0, 3.0) == 2.0
    assert health.step(3.9, NO_AUDIO, grace=3.0, setup_over=True) == []
    assert health.step(4.0, NO_AUDIO, grace=3.0, setup_over=True) == ["sends_audio"]
    assert health.counted == NO_AUDIO and health.turning() == {} and health.counts_in(4.0, 3.0) is None


def test_a_dip_shorter_than_the_grace_period_changes_nothing_and_recovery_counts_at_once() -> None:
    health = MemberHealth()
    health.step(0.0, FULL, grace=3.0, setup_over=True)
    assert health.step(1.0, NO_AUDIO, grace=3.0, setup_over=True) == []
    assert health.step(3.5, FULL, grace=3.0, setup_over=True) == []  # back before the grace ran out
    assert health.counted == FULL and health.pending == {}
    assert health.step(4.0, NO_AUDIO, grace=3.0, setup_over=True) == []  # a new dip starts afresh
    assert health.step(6.5, NO_AUDIO, grace=3.0, setup_over=True) == []
    assert health.step(7.0, NO_AUDIO, grace=3.0, setup_over=True) == ["sends_audio"]
    assert health.step(7.5, FULL, grace=3.0, setup_over=True) == ["sends_audio"]  # no grace for recovery


def test_it_waits_for_the_setup_grace_before_a_first_measurement_with_gaps() -> None:
    health = MemberHealth()
    assert health.step(0.0, NO_AUDIO, grace=3.0, setup_over=False) == []  # still connecting
    assert health.counted is None and health.turning() == {}
    assert health.step(10.0, NO_AUDIO, grace=3.0, setup_over=True) == ["sends_audio", "sends_video", "receives"]
    assert health.counted == NO_AUDIO


# Real peers


async def join(room: MediaRoom, *clients: Client) -> None:
    await asyncio.gather(*(c.join(room) for c in clients))


async def test_it_does_not_count_a_muted_track_as_a_loss(room: MediaRoom, clients, recorder: Recorder) -> None:
    chair, a = clients(CHAIR), clients(A)
    await join(room, chair, a)
    await room.set_floor({A}, {A})
    await wait_for(lambda: recorder.of("media_state", A) == [FULL] and chair.heard() == {A})
    a.tone.amplitude = 0.0  # muted: the track keeps sending silence, as a browser's does
    await wait_for(lambda: chair.heard() == set())
    await asyncio.sleep(ARRIVAL_WINDOW + room.grace + 2 * MONITOR_INTERVAL)
    assert recorder.of("media_state", A) == [FULL]
    assert room.media_state(A) == FULL
    assert recorder.of("health", A) == []
    assert recorder.of("audio_level", A)[-1] == -127  # silent, and still arriving


async def test_it_tells_the_chair_a_loss_is_turning_then_counts_it_with_the_measurement(
    room: MediaRoom, clients, recorder: Recorder
) -> None:
    a = clients(A)
    await join(room, a)
    await wait_for(lambda: recorder.of("media_state", A) == [FULL])
    a.audio_transceiver.sender.replaceTrack(None)  # no audio packets at all any more
    stopped = time.monotonic()
    await wait_for(lambda: recorder.of("health", A) != [], timeout=ARRIVAL_WINDOW + 2)
    turning_at = time.monotonic()
    [health] = recorder.of("health", A)
    assert health["turning"] == {"sends_audio": False}
    assert re.fullmatch(r"no audio packets for [12] s", health["reason"]), health
    assert health["in_seconds"] == room.grace
    await wait_for(lambda: len(recorder.of("media_state", A)) == 2, timeout=room.grace + 2)
    counted_at = time.monotonic()
    assert recorder.of("media_state", A)[-1] == NO_AUDIO
    person, reason = recorder.reasons[-1]
    assert person == A and re.fullmatch(r"no audio packets for [45] s", reason), reason
    assert room.grace - MONITOR_INTERVAL <= counted_at - turning_at <= room.grace + 2 * MONITOR_INTERVAL
    print(f"stop -> turning {turning_at - stopped:.2f} s, -> counted {counted_at - stopped:.2f} s")
    await wait_for(lambda: recorder.of("health", A)[-1]["turning"] == {}, timeout=1)


async def test_a_gap_shorter_than_the_grace_period_changes_nothing(room: MediaRoom, clients, recorder) -> None:
    a = clients(A)
    await join(room, a)
    await wait_for(lambda: recorder.of("media_state", A) == [FULL])
    a.audio_transceiver.sender.replaceTrack(None)
    await wait_for(lambda: recorder.of("health", A) != [], timeout=ARRIVAL_WINDOW + 2)
    a.audio_transceiver.sender.replaceTrack(a.tone)  # back well within the grace period
    await wait_for(lambda: recorder.of("health", A)[-1]["turning"] == {}, timeout=2)
    await asyncio.sleep(room.grace)
    assert recorder.of("media_state", A) == [FULL]


async def test_moving_the_floor_never_makes_a_member_not_receiving(room: MediaRoom, clients, recorder) -> None:
    # Like libwebrtc, these peers stop reporting on a stream soon after it stops (here after 1 s), so
    # every time the floor comes back to the chair, forwarding restarts with no recent reports.
    members = {p: clients(p, report_timeout=1.0) for p in (CHAIR, A, B)}
    await join(room, *members.values())
    await room.set_floor({CHAIR}, {CHAIR})
    await wait_for(lambda: all(recorder.of("media_state", p) == [FULL] for p in members))
    not_receiving: dict[int, float] = dict.fromkeys(members, 0.0)

    async def sample() -> None:
        while True:
            await asyncio.sleep(0.1)
            for p in members:
                if not room.media_state(p)["receives"]:
                    not_receiving[p] += 0.1

    sampler = asyncio.ensure_future(sample())
    try:
        for speaker in (A, B, A):
            await room.set_floor({CHAIR, speaker}, {CHAIR, speaker})
            await wait_for(lambda s=speaker: members[CHAIR].heard(0.3) == {s}, timeout=5)
            await asyncio.sleep(1.0)
            await room.set_floor({CHAIR}, {CHAIR})
            await asyncio.sleep(REPORT_WINDOW + 1.0)  # the chair's reports stop, the old window would run out
    finally:
        sampler.cancel()
    print("seconds measured as not receiving while the floor passed:", not_receiving)
    assert not_receiving == dict.fromkeys(members, 0.0)
    assert all(recorder.of("media_state", p) == [FULL] for p in members)
    assert [h for n, _, h in recorder.events if n == "health" and "receives" in h["turning"]] == []


async def test_it_counts_a_member_whose_reports_stop_as_not_receiving(room: MediaRoom, clients, recorder) -> None:
    chair, a = clients(CHAIR, report_timeout=8.0), clients(A)
    await join(room, chair, a)
    await room.set_floor({A}, {A})
    await wait_for(lambda: recorder.of("media_state", CHAIR) == [FULL] and chair.heard() == {A})
    await asyncio.sleep(REPORT_WINDOW)  # reports have been owed and have come
    assert room.measure(CHAIR)[1]["receives"] == "receiver reports arriving"
    chair.report_timeout = 0  # the chair's end stops acknowledging what it gets
    stopped = time.monotonic()
    await wait_for(lambda: len(recorder.of("media_state", CHAIR)) == 2, timeout=REPORT_WINDOW + room.grace + 3)
    assert recorder.of("media_state", CHAIR)[-1] == {**FULL, "receives": False}
    assert recorder.reasons[-1][1].startswith("no receiver reports on video for "), recorder.reasons[-1]
    print(f"reports stopped -> not receiving counted after {time.monotonic() - stopped:.2f} s")
    chair.report_timeout = 8.0
    await wait_for(lambda: recorder.of("media_state", CHAIR)[-1] == FULL, timeout=3)  # recovery at once


async def test_it_measures_receiving_from_consent_checks_while_nothing_is_forwarded(
    room: MediaRoom, clients
) -> None:
    chair, a = clients(CHAIR), clients(A)
    await join(room, chair, a)
    await room.set_floor({CHAIR}, {CHAIR})  # the chair is sent nothing (never their own media)
    peer = room.peers[CHAIR]
    await wait_for(lambda: peer.connected)
    connected = peer.last_answered
    assert connected is not None and connected > 0
    # aioice checks consent every 4-6 s; our wrapper notes each answer.
    await wait_for(lambda: (peer.last_answered or 0) > connected + 2, timeout=8)
    facts, notes = room.measure(CHAIR)
    assert facts["receives"] and notes["receives"] == "answers connectivity checks"
    later = (peer.last_answered or 0) + CONSENT_WINDOW + 1  # as if the chair's end stopped answering
    facts, notes = room.measure(CHAIR, now=later)
    assert not facts["receives"] and notes["receives"].startswith("no answer to connectivity checks for ")


async def test_it_gives_a_reloaded_page_the_grace_period(room: MediaRoom, clients, recorder: Recorder) -> None:
    chair, a = clients(CHAIR), clients(A)
    await join(room, chair, a)
    await wait_for(lambda: recorder.of("media_state", A) == [FULL])
    await a.close()  # the page reloads: a new browser session, a new peer connection
    reloaded = clients(A)
    await reloaded.join(room)
    await wait_for(lambda: room.media_state(A) == FULL, timeout=room.grace)
    await asyncio.sleep(2 * MONITOR_INTERVAL)
    assert recorder.of("media_state", A) == [FULL]


async def test_it_reports_a_member_again_on_remeasure(room: MediaRoom, clients, recorder: Recorder) -> None:
    a = clients(A)
    room.remeasure(A)  # nothing measured yet: nothing to say
    await join(room, a)
    await wait_for(lambda: recorder.of("media_state", A) == [FULL])
    room.remeasure(A)
    assert recorder.of("media_state", A) == [FULL, FULL]
    assert recorder.reasons[-1] == (
        A, "measured again on joining: audio packets arriving; video frames arriving; answers connectivity checks")
