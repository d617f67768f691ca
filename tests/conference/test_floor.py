"""Who hears and sees whom, with real aiortc peers and the floor model, and how fast the floor
switches (issue 4: "within a fraction of a second")."""

from __future__ import annotations

import asyncio
import time

import pytest

from conference.room import MediaRoom
from tests.conference.conftest import wait_for

pytestmark = pytest.mark.media

CHAIR, A, B, C = 1, 2, 3, 4
# Measured on the 2-core machine (4 peers in the test process): 0.29-0.33 s per switch. The bound
# leaves room for a loaded CI machine; the figure that matters goes in the bench, not here.
SWITCH_LIMIT = 1.0
WINDOW = 0.2  # seconds of received media looked at: the measured switch includes up to this much


def expected(person: int, floor: set[int]) -> set[int]:
    return floor - {person}


def routed(members: dict, floor: set[int], window: float = WINDOW) -> bool:
    return all(c.heard(window) == expected(p, floor) and c.seen(window) == expected(p, floor)
               for p, c in members.items())


async def test_it_forwards_the_floor_to_everyone_and_nothing_else(room: MediaRoom, clients) -> None:
    members = {p: clients(p) for p in (CHAIR, A, B, C)}
    await asyncio.gather(*(c.join(room) for c in members.values()))
    await room.set_floor(audio_from={CHAIR, A}, video_from={CHAIR, A})

    await wait_for(lambda: routed(members, {CHAIR, A}, window=0.6), timeout=8)
    # hold it: nothing else leaks in over a longer window
    await asyncio.sleep(0.5)
    for person, client in members.items():
        assert client.heard(window=1.0) == expected(person, {CHAIR, A}), person
        assert client.seen(window=1.0) == expected(person, {CHAIR, A}), person


async def test_it_switches_the_floor_within_a_fraction_of_a_second(room: MediaRoom, clients) -> None:
    members = {p: clients(p) for p in (CHAIR, A, B, C)}
    await asyncio.gather(*(c.join(room) for c in members.values()))
    await room.set_floor(audio_from={CHAIR, A}, video_from={CHAIR, A})
    await wait_for(lambda: routed(members, {CHAIR, A}), timeout=8)
    await asyncio.sleep(0.5)  # everyone has seen A and the chair for a while

    took = []
    for speaker in (B, C, A):  # a reply, another speaker, back to the first
        start = time.monotonic()
        await room.set_floor(audio_from={CHAIR, speaker}, video_from={CHAIR, speaker})
        await wait_for(lambda s=speaker: routed(members, {CHAIR, s}), timeout=5, step=0.02)
        took.append(time.monotonic() - start)
        await asyncio.sleep(0.3)
    print(f"floor switch (heard and seen by all, {WINDOW} s analysis window): "
          + ", ".join(f"{t:.2f} s" for t in took))
    assert max(took) < SWITCH_LIMIT, took
