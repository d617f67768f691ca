"""The WebVTT chapters (pure): speeches nest within the item they were held on."""

from __future__ import annotations

import datetime as dt

from livestream import playlists

T0 = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_it_nests_the_speeches_within_their_item():
    recording = [{"start": T0, "duration": 100.0}]
    vtt = playlists.chapters_vtt([(at(10), "PS 1/26 Budsjett", "item"), (at(20), "Kari Nordmann", "speech"),
                                  (at(30), "Ola Hansen", "speech"), (at(60), "PS 2/26 Havneplan", "item")],
                                 recording)
    cues = [block.split("\n") for block in vtt.split("\n\n")[1:] if block.strip()]
    assert [(cue[0], cue[1], cue[2]) for cue in cues] == [
        ("item-1", "00:00:10.000 --> 00:01:00.000", "PS 1/26 Budsjett"),
        ("speech-2", "00:00:20.000 --> 00:00:30.000", "Kari Nordmann"),
        ("speech-3", "00:00:30.000 --> 00:01:00.000", "Ola Hansen"),
        ("item-4", "00:01:00.000 --> 00:01:40.000", "PS 2/26 Havneplan"),
    ]
