"""The gateway contract the consumer and services rely on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from conference import gateway
from conference.errors import MediaError
from tests.conference.conftest import wait_for

pytestmark = pytest.mark.media


class Sink:
    def __init__(self) -> None:
        self.states: list[tuple[int, int, dict[str, bool]]] = []
        self.levels: list[tuple[int, int, int]] = []

    async def media_state(self, meeting_id: int, person_id: int, state: dict[str, bool], reason: str = "") -> None:
        self.states.append((meeting_id, person_id, state))

    async def health(self, meeting_id: int, person_id: int, health: dict[str, object]) -> None:
        pass

    async def audio_level(self, meeting_id: int, person_id: int, level_dbov: int) -> None:
        self.levels.append((meeting_id, person_id, level_dbov))

    async def degraded(self, meeting_id: int, person_id: int, reason: str) -> None:
        pass


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    sink = Sink()
    gateway.set_event_sink(sink)
    yield sink
    await gateway.rooms.close_all()
    gateway.set_event_sink(gateway.LoggingMediaEvents())


async def test_it_answers_offers_and_routes_the_floor(sink: Sink, clients) -> None:
    await gateway.apply_routing(7, audio_from={1}, video_from={1}, audio_only=set())
    chair, member = clients(1), clients(2)
    for client in (chair, member):
        offer = await client.offer()
        reply = await gateway.handle_client_message(7, client.person_id, "media.offer", offer)
        assert reply["type"] == "media.answer" and reply["sdp"].startswith("v=0")
        json.dumps(reply)
        await client.accept({"type": "answer", "sdp": reply["sdp"]})
    await wait_for(lambda: member.heard() == {1} and member.seen() == {1})
    await wait_for(lambda: any(p == 1 and s["sends_audio"] for _, p, s in sink.states), timeout=3)
    assert sink.levels and all(m == 7 for m, _, _ in sink.levels)
    json.dumps(sink.states)

    reply = await gateway.handle_client_message(7, 2, "media.audio_only", {"on": True})
    assert reply == {"type": "media.audio_only", "on": True}
    assert gateway.rooms.get(7).is_audio_only(2)

    await gateway.apply_routing(7, audio_from={2}, video_from={2}, audio_only={1})
    await wait_for(lambda: chair.heard() == {2})
    assert gateway.rooms.get(7).is_audio_only(1) and gateway.rooms.get(7).is_audio_only(2)

    assert await gateway.handle_client_message(7, 2, "media.leave", {}) == {"type": "media.left"}
    assert 2 not in gateway.rooms.get(7).peers
    await gateway.close_meeting(7)
    assert 7 not in gateway.rooms


@pytest.mark.parametrize(
    ("msg_type", "payload", "code"),
    [
        ("media.offer", {"sdp": 5}, "bad_payload"),
        ("media.offer", {"sdp": "junk", "type": "offer"}, "bad_sdp"),
        ("media.offer", {"sdp": "v=0\r\n", "type": "answer"}, "bad_sdp_type"),
        ("media.audio_only", {"on": "yes"}, "bad_payload"),
        ("media.audio_only", {"on": True}, "not_connected"),
        ("media.dance", {}, "unknown_type"),
        ("media.offer", [], "bad_payload"),
    ],
)
async def test_it_rejects_bad_messages(sink: Sink, msg_type: str, payload: object, code: str) -> None:
    with pytest.raises(MediaError) as err:
        await gateway.handle_client_message(8, 1, msg_type, payload)  # type: ignore[arg-type]
    assert err.value.code == code
    json.dumps(err.value.as_dict())


async def test_it_rejects_bad_ids(sink: Sink) -> None:
    with pytest.raises(MediaError):
        await gateway.handle_client_message("8", 1, "media.leave", {})  # type: ignore[arg-type]
    with pytest.raises(MediaError):
        await gateway.handle_client_message(8, True, "media.leave", {})  # type: ignore[arg-type]
