"""Recording chapters are public output: they never name what the public may not see."""

from __future__ import annotations

import datetime as dt

import pytest

from livestream.composer import Composer

pytestmark = pytest.mark.media


def opened(item: int, title: str, public_title: str, ground: str | None) -> dict:
    return {"event": "item.opened", "seq": item, "at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "payload": {"item": item, "case_number": f"PS {item}/26", "title": title, "public_title": public_title,
                        "planned_closure_ground": ground}}


async def test_it_names_an_item_planned_for_closed_doors_by_its_public_title(streams, tmp_path) -> None:
    (tmp_path / "4242").mkdir()
    composer = Composer(4242, tmp_path / "4242", width=160, height=90, fps=10)
    streams.composers[4242] = composer
    try:
        streams.on_event(4242, opened(1, "Reguleringsplan Sentrum", "Reguleringsplan Sentrum", None))
        streams.on_event(4242, opened(2, "Oppsigelse av ansatt Per Hansen", "Personalsak", "11-5-3-a"))
        titles = [title for _, title in composer.chapters]
        assert titles == ["PS 1/26 Reguleringsplan Sentrum", "PS 2/26 Personalsak"]
        assert "Per Hansen" not in (tmp_path / "4242" / "chapters.vtt").read_text()
    finally:
        streams.composers.pop(4242, None)
