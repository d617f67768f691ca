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


def segments(numbers, *, epoch: int = 0, duration: float = 1.0) -> list[dict]:
    return [{"name": f"seg_{n:05d}.ts", "seq": n, "duration": duration, "start": at(n * duration),
             "open": True, "epoch": epoch} for n in numbers]


def parts_of(numbers, count: int = 3) -> dict[int, list[dict]]:
    return {n: [{"name": playlists.part_name(n, k), "duration": 1 / 3, "independent": k == 0} for k in range(count)]
            for n in numbers}


def test_the_live_playlist_lists_parts_of_the_last_segments_and_hints_the_next():
    text = playlists.media_playlist(segments(range(1, 7)), kind=None, ended=False, parts=parts_of(range(1, 8)),
                                    part_target=1 / 3, pending={"seq": 7, "start": at(7), "epoch": 0},
                                    hint="part_00007_2.ts")
    lines = text.splitlines()
    assert "#EXT-X-VERSION:6" in lines
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002" in lines  # 3 x PART-TARGET
    assert "#EXT-X-PART-INF:PART-TARGET=0.334" in lines  # not below a part's duration as written (0.333)
    listed = [line.split('URI="')[1].split('"')[0] for line in lines if line.startswith("#EXT-X-PART:")]
    # Segments 4-6 (three target durations) keep their parts; the segment in progress, 7, shows all it has.
    assert listed == [playlists.part_name(n, k) for n in (4, 5, 6, 7) for k in range(3)]
    independent = [line for line in lines if line.startswith("#EXT-X-PART:") and "INDEPENDENT=YES" in line]
    assert len(independent) == 4  # the first part of each segment starts at its keyframe
    assert lines[-1] == '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_00007_2.ts"'
    assert lines.index("seg_00006.ts") < lines.index('#EXT-X-PART:DURATION=0.333,URI="part_00007_0.ts",INDEPENDENT=YES')
    assert "#EXTINF:1.000," in lines and lines.count("#EXTINF:1.000,") == 6  # ordinary players see full segments
    edge = playlists.live_edge(text)
    assert (edge.last_msn, edge.parts, edge.ended) == (6, 3, False)


def test_an_ended_live_playlist_has_no_low_latency_tags():
    text = playlists.media_playlist(segments(range(1, 4)), kind=None, ended=True, parts=parts_of(range(1, 4)),
                                    part_target=1 / 3, pending=None, hint=None)
    assert "#EXT-X-PART" not in text and "SERVER-CONTROL" not in text and "PRELOAD-HINT" not in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    assert playlists.live_edge(text).ended


def test_the_edge_is_reached_by_the_part_asked_for_or_anything_later():
    edge = playlists.LiveEdge(last_msn=10, parts=2, ended=False, target=1.0)
    assert playlists.edge_reached(edge, 9, None) and playlists.edge_reached(edge, 10, None)
    assert playlists.edge_reached(edge, 10, 7)  # segment 10 is complete: all its parts exist
    assert playlists.edge_reached(edge, 11, 0) and playlists.edge_reached(edge, 11, 1)
    assert not playlists.edge_reached(edge, 11, 2)  # the part being written
    assert not playlists.edge_reached(edge, 11, None)  # segment 11 is not complete
    assert not playlists.edge_reached(edge, 12, 0)
    assert playlists.edge_reached(playlists.LiveEdge(10, 0, True, 1.0), 500, 0)  # ended: nothing more will come


def test_an_eight_hour_recording_has_a_sixth_of_the_entries_and_the_same_timeline():
    recording = segments(range(1, 28_801))
    text = playlists.recording_playlist(recording, ended=True)
    entries = [line for line in text.splitlines() if line.startswith("rec_")]
    assert len(entries) == 4_800 and entries[0] == "rec_00001_00006.ts"
    assert "#EXT-X-TARGETDURATION:6" in text
    total = sum(float(line[8:-1]) for line in text.splitlines() if line.startswith("#EXTINF:"))
    assert total == sum(e["duration"] for e in recording)
    # The timeline the chapters and captions use is the segments', unchanged by the grouping.
    assert playlists.recording_offset(recording, at(3 * 3600 + 7.5)) == 3 * 3600 + 7.5 - 1


def test_recording_groups_stop_at_closed_parts_and_only_grow_while_live():
    recording = [*segments(range(1, 9)), *segments(range(12, 15)), *segments(range(15, 17), epoch=1)]
    groups = playlists.recording_groups(recording, ended=True)
    assert [(g["name"], g["duration"]) for g in groups] == [
        ("rec_00001_00006.ts", 6.0), ("rec_00007_00008.ts", 2.0),  # cut by the closed part (9-11)
        ("rec_00012_00014.ts", 3.0),  # cut by the composer restart (epoch 1)
        ("rec_00015_00016.ts", 2.0)]
    text = playlists.recording_playlist(recording, ended=True)
    assert text.count("#EXT-X-DISCONTINUITY") == 2
    # While the meeting goes on, the group still filling is left out: the EVENT playlist only appends.
    growing = [playlists.recording_playlist(recording[:n], ended=False) for n in range(1, len(recording) + 1)]
    for earlier, later in zip(growing, growing[1:], strict=False):
        assert later.startswith(earlier), (earlier, later)
    assert "rec_00015_00016.ts" not in growing[-1] and "rec_00012_00014.ts" in growing[-1]
    assert playlists.group_segments("rec_00012_00014.ts") == (12, 14)
    assert playlists.group_segments("rec_00014_00012.ts") is None
    assert playlists.group_segments("rec_00001_09999.ts") is None  # longer than any group written
