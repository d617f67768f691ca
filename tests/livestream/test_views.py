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
