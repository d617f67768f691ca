from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from conference.room import MediaRoom
from tests.conference.clients import Client


@pytest.fixture(autouse=True)
def fast_stun(fast_stun: None) -> None:
    """The root fixture, for every test here: they all connect real aiortc peers."""


class Recorder:
    """Collects room callbacks as (name, person, value) tuples."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, object]] = []
        self.reasons: list[tuple[int, str]] = []  # the measured facts behind each media_state

    def media_state(self, person_id: int, state: dict[str, bool], reason: str = "") -> None:
        self.events.append(("media_state", person_id, state))
        self.reasons.append((person_id, reason))

    def health(self, person_id: int, health: dict[str, object]) -> None:
        self.events.append(("health", person_id, health))

    async def audio_level(self, person_id: int, level: int) -> None:
        self.events.append(("audio_level", person_id, level))

    def degraded(self, person_id: int, reason: str) -> None:
        self.events.append(("degraded", person_id, reason))

    def slots(self, person_id: int, slots: dict[str, int | None]) -> None:
        self.events.append(("slots", person_id, slots))

    def of(self, name: str, person_id: int) -> list[object]:
        return [v for n, p, v in self.events if n == name and p == person_id]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def room(recorder: Recorder) -> AsyncIterator[MediaRoom]:
    r = MediaRoom(
        1,
        on_media_state=recorder.media_state,
        on_audio_level=recorder.audio_level,
        on_degraded=recorder.degraded,
        on_slots=recorder.slots,
        on_health=recorder.health,
        audio_only_loss=0.5,
        audio_only_rtt_ms=5000,
    )
    yield r
    await r.close()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(person_id: int, **kwargs: object) -> Client:
        client = Client(person_id, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    await asyncio.gather(*(c.close() for c in made))


async def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, step: float = 0.1) -> float:
    """Poll until ``predicate()``; return the seconds it took. Fails the test on timeout."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(step)
    return time.monotonic() - start
