"""Search finds a word spoken in a meeting, and its hit starts the recording within a few seconds
of it (issue 15): a real daphne server, a real HLS recording played by the page's own player in
Chromium, captions as a finished job leaves them (the transcription itself is tested in
tests/captions), indexed by the `cues_changed` hook in the server's own database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from tests.browser.conftest import ROOT, VIEWPORT, assert_accessible
from tests.browser.helpers import NOTICE, api, token
from tests.browser.test_public_phases import assert_fits_a_phone

pytestmark = pytest.mark.browser

SPOKEN = ("Medlem 2", 37.6, 41.0, "the drawbridge over the harbour must be repaired this year")
SECONDS = 60


def write_recording(folder: Path, fps: int = 10) -> None:
    """A VOD HLS recording of SECONDS s (H.264, 4 s segments) as the composer leaves one: recording.m3u8."""
    folder.mkdir(parents=True, exist_ok=True)
    out = av.open(str(folder / "recording.m3u8"), "w", format="hls", options={
        "hls_time": "4", "hls_playlist_type": "vod", "hls_list_size": "0",
        "hls_segment_filename": str(folder / "recording_%03d.ts")})
    stream = out.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt, stream.gop_size = 160, 90, "yuv420p", 2 * fps
    stream.options = {"preset": "ultrafast"}
    for i in range(SECONDS * fps):
        frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), i % 256, np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    (folder / "chapters.vtt").write_text("WEBVTT\n")


def captions_done(env: dict[str, str], meeting: int) -> None:
    """A finished captions job with the spoken cue in the server's database, announced as the
    captions service announces it (`cues_changed`), which refreshes the search index."""
    speaker, start, end, text = SPOKEN
    # The meeting's end has queued its job already (captions/listeners.py): this finishes it.
    code = ("from django.utils import timezone; from captions.models import CaptionJob, Cue, CueVersion; "
            "from captions.signals import cues_changed; "
            f"job, _ = CaptionJob.objects.update_or_create(meeting_id={meeting}, defaults=dict(state='done', "
            "engine='pocketsphinx', finished_at=timezone.now())); "
            f"cue = Cue.objects.create(job=job, index=1, person_id=1, speaker={speaker!r}, start={start}, end={end}, "
            f"text={text!r}); CueVersion.objects.create(cue=cue, number=1, text=cue.text, engine='pocketsphinx', "
            f"created_at=timezone.now()); cues_changed.send(sender=None, meeting_id={meeting})")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


def old_meeting(base: str) -> int:
    """An ended Formannskapet meeting from long ago: the archive lists it below the seeded and the
    other tests' meetings, whose rows those tests pick (the first with minutes, one without a recording)."""
    clerk = token(base, "sekretar")
    body = next(b for b in api(base, "/api/bodies/")["results"] if b["slug"] == "formannskapet")
    meeting = api(base, "/api/meetings/", {"body_id": body["id"], "title": "Formannskapsmøte (søk)",
                                           "scheduled_start": "2025-06-02T18:00:00+02:00"}, clerk)["id"]
    api(base, f"/api/meetings/{meeting}/items/", {"case_number": "FS 9/25", "title": "Bru over hamna"}, clerk)
    api(base, f"/api/meetings/{meeting}/publish-notice/", {"notice_text": NOTICE}, clerk)
    chair = token(base, "ordforer")
    for command in ("meeting.open", "meeting.end"):
        api(base, f"/api/meetings/{meeting}/actions/{command}/", {}, chair)
    return meeting


def test_a_spoken_word_is_found_and_its_hit_starts_the_recording_there(browser, live_server_url, live_server_env,
                                                                         screenshot):
    base = live_server_url
    meeting = old_meeting(base)
    write_recording(Path(live_server_env["LIVESTREAM_ROOT"]) / str(meeting))
    captions_done(live_server_env, meeting)

    page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    page.goto(f"{base}/archive/")
    page.fill("#search-q", "drawbridge")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/archive/search/?q=drawbridge")
    hit = page.locator(f'li.search-hit a[href="/meetings/{meeting}/?t=37"]')
    assert hit.count() == 1, page.inner_text("main")
    assert "<mark>drawbridge</mark>" in page.inner_html("li.search-hit .snippet")
    assert hit.inner_text() == "Transkripsjon 00:00:37: Medlem 2"
    screenshot(page, "archive-search-results", full_page=False)
    assert_accessible(page, "archive search results")
    assert_fits_a_phone(page, "archive search results")
    page.set_viewport_size(VIEWPORT)

    hit.click()
    page.wait_for_url(f"**/meetings/{meeting}/?t=37")
    start = SPOKEN[1]
    # The player seeks once the recording's metadata is there; it may play on from the moment.
    page.wait_for_function("""(start) => { const v = document.getElementById('player');
        return v && v.readyState >= 1 && Math.abs(v.currentTime - start) <= 3; }""", arg=start)
    at = page.evaluate("document.getElementById('player').currentTime")
    assert abs(at - start) <= 3, at
    page.context.close()
