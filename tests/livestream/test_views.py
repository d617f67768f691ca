"""Serving the public stream: cache headers, safe names, Low-Latency HLS blocking reloads and
preload hints (held until published, hostile values refused), and the recording's groups."""

import os
import threading
import time

import pytest
from django.test import Client


@pytest.fixture
def stream_root(settings, tmp_path):
    settings.LIVESTREAM_ROOT = tmp_path
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "index.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:3\n")
    (tmp_path / "7" / "seg_00001.ts").write_bytes(b"\x47" * 188)
    (tmp_path / "7" / "chapters.vtt").write_text("WEBVTT\n")
    (tmp_path / "secret.txt").write_text("no")
    return tmp_path


def test_it_serves_the_live_playlist_with_a_short_cache(stream_root):
    r = Client().get("/live/7/index.m3u8")
    assert r.status_code == 200 and r["Content-Type"] == "application/vnd.apple.mpegurl"
    assert r["Cache-Control"] == "public, max-age=1"
    assert b"".join(r.streaming_content).startswith(b"#EXTM3U")


def test_it_serves_segments_as_immutable(stream_root):
    r = Client().get("/live/7/seg_00001.ts")
    assert r.status_code == 200 and "immutable" in r["Cache-Control"]
    assert r["Content-Type"] == "video/mp2t"


@pytest.mark.parametrize("name", ["..%2Fsecret.txt", "secret.txt", "index.m3u8.bak", "x" * 80 + ".ts"])
def test_it_refuses_anything_but_stream_files(stream_root, name):
    assert Client().get(f"/live/7/{name}").status_code == 404


def test_missing_meeting_stream_is_404(stream_root):
    assert Client().get("/live/8/index.m3u8").status_code == 404


# Low-Latency HLS: blocking playlist reload, preload hints, recording groups --------------------

LIVE = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002
#EXT-X-PART-INF:PART-TARGET=0.334
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T17:00:00.000Z
#EXTINF:1.000,
seg_00001.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T17:00:01.000Z
#EXTINF:1.000,
seg_00002.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T17:00:02.000Z
#EXT-X-PART:DURATION=0.333,URI="part_00003_0.ts",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_00003_1.ts"
"""
NEXT = LIVE.replace('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_00003_1.ts"\n',
                    '#EXT-X-PART:DURATION=0.333,URI="part_00003_1.ts"\n'
                    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_00003_2.ts"\n')


@pytest.fixture
def live_edge(stream_root):
    folder = stream_root / "7"
    replace(folder / "index.m3u8", LIVE)
    return folder


def replace(path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)  # as the composer does: a new file, never a half-written one


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


@pytest.mark.parametrize("query", ["_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=1.5", "_HLS_msn=", "_HLS_msn=9999999999",
                                   "_HLS_part=1", "_HLS_msn=3&_HLS_part=x", "_HLS_msn=3&_HLS_part=-2",
                                   "_HLS_msn=3&_HLS_part=10000", "_HLS_msn=5", "_HLS_msn=999999999&_HLS_part=0"])
def test_it_answers_a_hostile_blocking_reload_with_400_at_once(live_edge, query):
    started = time.monotonic()
    r = Client().get(f"/live/7/index.m3u8?{query}")
    assert r.status_code == 400, (query, r.status_code)
    assert time.monotonic() - started < 0.5 and r["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", ["_HLS_msn=1", "_HLS_msn=2", "_HLS_msn=3&_HLS_part=0", "_HLS_msn=2&_HLS_part=9"])
def test_it_answers_a_reload_the_playlist_already_holds_at_once(live_edge, query):
    started = time.monotonic()
    r = Client().get(f"/live/7/index.m3u8?{query}")
    assert r.status_code == 200 and body(r).decode() == LIVE
    assert time.monotonic() - started < 0.5 and r["Cache-Control"] == "public, max-age=1"


def test_it_holds_a_blocking_reload_until_the_part_is_published(live_edge):
    writer = later(0.4, lambda: replace(live_edge / "index.m3u8", NEXT))
    started = time.monotonic()
    r = Client().get("/live/7/index.m3u8?_HLS_msn=3&_HLS_part=1")
    took = time.monotonic() - started
    writer.join()
    assert r.status_code == 200 and body(r).decode() == NEXT
    assert took >= 0.35, took  # held, not answered with the old playlist


def test_it_gives_up_on_a_part_that_never_comes_after_three_target_durations(live_edge):
    started = time.monotonic()
    r = Client().get("/live/7/index.m3u8?_HLS_msn=4")  # the composer has stopped writing
    took = time.monotonic() - started
    assert r.status_code == 503 and r["Retry-After"] == "1"
    assert 2.9 <= took < 6, took


def test_it_answers_an_ended_playlist_at_once(live_edge):
    replace(live_edge / "index.m3u8", LIVE + "#EXT-X-ENDLIST\n")
    r = Client().get("/live/7/index.m3u8?_HLS_msn=4&_HLS_part=0")
    assert r.status_code == 200 and body(r).decode().endswith("#EXT-X-ENDLIST\n")


def test_it_holds_the_hinted_part_until_it_exists_and_refuses_others(live_edge):
    (live_edge / "part_00003_0.ts").write_bytes(b"\x47" * 188)
    r = Client().get("/live/7/part_00003_0.ts")
    assert r.status_code == 200 and "immutable" in r["Cache-Control"]

    def publish() -> None:
        (live_edge / "part_00003_1.ts").write_bytes(b"\x47" * 376)
        replace(live_edge / "index.m3u8", NEXT)

    writer = later(0.4, publish)
    started = time.monotonic()
    r = Client().get("/live/7/part_00003_1.ts")
    writer.join()
    assert r.status_code == 200 and len(body(r)) == 376 and time.monotonic() - started >= 0.35
    started = time.monotonic()
    assert Client().get("/live/7/part_00009_0.ts").status_code == 404  # never hinted: no waiting
    assert time.monotonic() - started < 0.5


def test_it_serves_a_recording_group_as_its_segments_one_after_another(stream_root):
    folder = stream_root / "7"
    for n in range(1, 4):
        (folder / f"seg_{n:05d}.ts").write_bytes(bytes([0x47, n]) * 94)
    (folder / "seg_00004.ts").write_bytes(b"\x47\x04" * 94)  # closed part: not in the recording
    (folder / "recording.m3u8").write_text("#EXTM3U\n#EXTINF:3.000,\nrec_00001_00003.ts\n")
    r = Client().get("/live/7/rec_00001_00003.ts")
    assert r.status_code == 200 and r["Content-Type"] == "video/mp2t" and "immutable" in r["Cache-Control"]
    assert body(r) == b"".join((folder / f"seg_{n:05d}.ts").read_bytes() for n in range(1, 4))
    for unlisted in ["rec_00001_00004.ts", "rec_00002_00003.ts", "rec_00003_00001.ts", "rec_00001_99999.ts"]:
        assert Client().get(f"/live/7/{unlisted}").status_code == 404, unlisted
