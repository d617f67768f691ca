"""Recording chapters are public output: they never name what the public may not see."""

from __future__ import annotations

import datetime as dt

import pytest

from livestream.composer import Composer
from meetings.visibility import public_payload

pytestmark = [pytest.mark.media, pytest.mark.usefixtures("live_settings")]


def event(kind: str, seq: int, payload: dict, *, doors_closed: bool) -> dict:
    """A log event as the media worker receives it, with its public form decided as the log does."""
    return {"event": kind, "seq": seq, "at": dt.datetime.now(dt.UTC).isoformat(), "payload": payload,
            "public": public_payload(kind, payload, {"doors": {"closed": doors_closed}})}


def opened(item: int, title: str, public_title: str, ground: str | None, *, doors_closed: bool = False) -> dict:
    return event("item.opened", item, {"item": item, "case_number": f"PS {item}/26", "title": title,
                                       "public_title": public_title, "planned_closure_ground": ground},
                 doors_closed=doors_closed)


@pytest.fixture
def composer(streams, tmp_path):
    (tmp_path / "4242").mkdir()
    composer = Composer(4242, tmp_path / "4242", width=160, height=90, fps=10)
    streams.composers[4242] = composer
    yield composer
    streams.composers.pop(4242, None)


def test_it_names_an_item_planned_for_closed_doors_by_its_public_title(streams, composer, tmp_path) -> None:
    streams.on_event(4242, opened(1, "Reguleringsplan Sentrum", "Reguleringsplan Sentrum", None))
    streams.on_event(4242, opened(2, "Oppsigelse av ansatt Per Hansen", "Personalsak", "11-5-3-a"))
    assert [title for _, title in composer.chapters] == ["PS 1/26 Reguleringsplan Sentrum", "PS 2/26 Personalsak"]
    assert "Per Hansen" not in (tmp_path / "4242" / "chapters.vtt").read_text()


def test_it_never_names_a_speaker_who_spoke_behind_closed_doors_even_if_the_event_overtook_the_gate(
        streams, composer, tmp_path) -> None:
    # floor.granted (written while the doors were closed) reaches the bridge before doors.closed
    # does: the gate still looks open here, but the log already decided the event is not public.
    streams.on_event(4242, event("floor.granted", 7, {"person": 3, "name": "Medlem Hemmelig"}, doors_closed=True))
    streams.on_event(4242, event("floor.granted", 9, {"person": 4, "name": "Medlem Åpen"}, doors_closed=False))
    assert [title for _, title in composer.chapters] == ["Medlem Åpen"]
    assert "Hemmelig" not in (tmp_path / "4242" / "chapters.vtt").read_text()
