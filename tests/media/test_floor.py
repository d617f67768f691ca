"""Who hears and sees whom, with real aiortc peers and the floor model."""

from __future__ import annotations

import asyncio

import pytest

from meetings.media.room import MediaRoom
from tests.media.conftest import wait_for

pytestmark = pytest.mark.media

CHAIR, A, B, C = 1, 2, 3, 4


async def test_it_forwards_the_floor_to_everyone_and_nothing_else(room: MediaRoom, clients) -> None:
    members = {p: clients(p) for p in (CHAIR, A, B, C)}
    await asyncio.gather(*(c.join(room) for c in members.values()))
    await room.set_floor(audio_from={CHAIR, A}, video_from={CHAIR, A})

    def expected(person: int, floor: set[int]) -> set[int]:
        return floor - {person}

    def routed(floor: set[int]) -> bool:
        return all(
            c.heard() == expected(p, floor) and c.seen() == expected(p, floor) for p, c in members.items()
        )

    await wait_for(lambda: routed({CHAIR, A}), timeout=8)
    # hold it: nothing else leaks in over a longer window
    await asyncio.sleep(0.5)
    for person, client in members.items():
        assert client.heard(window=1.0) == expected(person, {CHAIR, A}), person
        assert client.seen(window=1.0) == expected(person, {CHAIR, A}), person

    # the floor passes from A to B
    await room.set_floor(audio_from={CHAIR, B}, video_from={CHAIR, B})
    took = await wait_for(lambda: routed({CHAIR, B}), timeout=5)
    assert took < 2.0
