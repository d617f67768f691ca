"""The clerk corrects the captions in Chromium, the whole way through the real parts: a streamed
meeting with a speech ends, which queues its captions job; the embedded worker (a child process of
daphne) transcribes the finalised recording with pocketsphinx; the clerk opens the editor, plays the
recording from the speech, corrects the text twice and approves. The public transcript shows the
latest text, the earlier versions stay in the editor's history, and the track stops saying
"automatic" once approved."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.conftest import ROOT, VIEWPORT, assert_accessible, login
from tests.browser.helpers import api, enter_rooms, formannskap_meeting, join_over_api, token, wait_text
from tests.browser.test_content_security_policy import WATCH
from tests.browser.test_public_phases import assert_fits_a_phone

pytestmark = pytest.mark.browser


def seed_captions(env: dict[str, str], meeting_id: int) -> None:
    """A finished captions job with two speeches on `meeting_id`, written into the live server's
    database (for pages that need captions without a streamed meeting, e.g. the axe walk)."""
    code = ("from django.utils import timezone\n"
            "from captions.models import CaptionJob, Cue, CueVersion\n"
            f"job, _ = CaptionJob.objects.update_or_create(meeting_id={meeting_id}, defaults=dict(state='done', "
            "engine='pocketsphinx', speeches_done=2, speeches_total=2, finished_at=timezone.now()))\n"
            "for i, (name, start, text) in enumerate([('Medlem 2', 4.0, 'we need more money for the schools'), "
            "('Medlem 3', 12.5, 'the road to the harbour')], start=1):\n"
            "    cue, _ = Cue.objects.update_or_create(job=job, index=i, defaults=dict(person_id=i, speaker=name, "
            "start=start, end=start + 5, text=text))\n"
            "    CueVersion.objects.get_or_create(cue=cue, number=1, defaults=dict(text=text, engine='pocketsphinx', "
            "created_at=timezone.now()))\n")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120,
                   capture_output=True)


def _segments(base: str, meeting: int) -> int:
    try:
        with urllib.request.urlopen(f"{base}/live/{meeting}/recording.m3u8", timeout=10) as r:
            return r.read().decode().count("#EXTINF")
    except OSError:
        return 0


def _until(predicate, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.5)


def test_the_clerk_corrects_a_cue_and_the_public_sees_it(browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair, clerk, member = token(base, "ordforer"), token(base, "sekretar"), token(base, "medlem02")

    def chair_does(command: str, **payload):
        return api(base, f"/api/meetings/{meeting}/actions/{command}/", payload, chair)

    # A streamed meeting (the media worker follows it once a participant is connected) with one speech.
    console = login(browser, base, "ordforer")
    enter_rooms(base, meeting, [console])
    chair_does("meeting.open")
    person, name = join_over_api(base, meeting, member)
    items = api(base, f"/api/meetings/{meeting}/items/", token=clerk)
    chair_does("item.open", item_id=items[0]["id"])
    api(base, f"/api/meetings/{meeting}/actions/floor.request/", {}, member)
    chair_does("floor.grant", person_id=int(person))
    before = _segments(base, meeting)
    _until(lambda: _segments(base, meeting) >= before + 3, "the speech in the recording")
    chair_does("floor.end")
    chair_does("meeting.end")
    console.context.close()

    # The end queued the job; the worker process daphne started runs it once the recording is finalised.
    page = login(browser, base, "sekretar")
    page.context.add_init_script(WATCH)  # every Content-Security-Policy violation, reported
    editor = f"{base}/clerk/meetings/{meeting}/captions/"

    def transcribed() -> bool:
        page.goto(editor)
        return page.locator("#text-1").count() == 1

    _until(transcribed, "the captions job done", timeout=180)
    assert page.inner_text("#captions-state").startswith("Teksting: Ferdig"), page.inner_text("#captions-state")
    assert name in page.inner_text("#cue-1")
    assert "automatisk" in page.inner_text("#cue-1")

    # The play control plays the recording from the speech's start (the public page's HLS player).
    start = float(page.get_attribute("#cue-1 button.play", "data-start"))
    page.click("#cue-1 button.play")
    page.wait_for_function("(t) => { const v = document.getElementById('player');"
                           " return v.dataset.feed === 'hls' && !v.paused && Math.abs(v.currentTime - t) < 3; }",
                           arg=start)
    assert page.evaluate("window.__csp") == []  # hls.js and the editor's script under the strict CSP

    # Two corrections: each a new version, the earlier kept in the history.
    first, second = "Vi trenger flere penger til skolene", "Vi trenger flere penger til skolene i år"
    page.fill("#text-1", first)
    page.click("#cue-1 button[type=submit]")
    wait_text(page, ".messages", "Innlegg 1 er lagret som versjon 2")
    page.fill("#text-1", second)
    page.click("#cue-1 button[type=submit]")
    wait_text(page, ".messages", "Innlegg 1 er lagret som versjon 3")
    page.click("#cue-1 details.history summary")
    history = page.inner_text("#cue-1 details.history")
    assert "Historikk (3 versjoner)" in history and first in history and "Automatisk (pocketsphinx)" in history
    assert "rettet" in page.inner_text("#cue-1")
    assert page.evaluate("window.__csp") == []  # the page after a save, under the strict CSP
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "clerk-caption-editor")
    assert_accessible(page, "caption editor")
    assert_fits_a_phone(page, "caption editor")
    page.set_viewport_size(VIEWPORT)

    # The public sees the latest version, marked as corrected, the meeting's captions still automatic.
    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    public.goto(f"{base}/meetings/{meeting}/transcript/")
    transcript = public.inner_text("main")
    assert second in transcript and "rettet av sekretæren" in transcript and "Automatisk tekstet" in transcript
    public.goto(f"{base}/meetings/{meeting}/")
    assert public.get_attribute("#player track[kind=captions]", "label") == "Teksting (automatisk)"

    # A stale save (another tab still on version 1) keeps the typed text and says why.
    stale = page.context.new_page()
    stale.goto(editor)
    page.fill("#text-1", second + "!")
    page.click("#cue-1 button[type=submit]")
    wait_text(page, ".messages", "versjon 4")
    stale.fill("#text-1", "fra en gammel fane")
    stale.click("#cue-1 button[type=submit]")
    wait_text(stale, "#error-1", "endret i mellomtiden")
    assert stale.input_value("#text-1") == "fra en gammel fane"
    stale.close()

    # Approved: the public track is no longer "automatic".
    page.click("#approve-form button[type=submit]")
    wait_text(page, "#approval", "Godkjent av")
    public.goto(f"{base}/meetings/{meeting}/")
    assert public.get_attribute("#player track[kind=captions]", "label") == "Teksting"
    public.goto(f"{base}/meetings/{meeting}/transcript/")
    assert "godkjent av sekretæren" in public.inner_text("main")
    public.context.close()
    page.context.close()
