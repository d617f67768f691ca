"""A real Chromium watches the low-latency stream: its recvonly offer goes through the signalling
endpoint, and it decodes the composer's H.264 and Opus (no per-viewer encode, no transcoding).

Playwright's async API runs on the test's own event loop, next to the composer and the viewer hub
(as in the embedded server); the page's fetch of the offer endpoint is routed to the Django view
through `AsyncClient`, so the page needs no separate web server.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from livestream import webrtc
from livestream.bridge import streams
from livestream.composer import Composer
from tests.conference.clients import ColourTrack, ToneTrack
from tests.factories import make_council, make_meeting, start_meeting

# Not marked `browser`: those run last, under Playwright's sync API, whose running loop would
# break this asyncio test; the async API used here leaves no loop behind.
pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_stun")]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required"]
PAGE = """<!doctype html><html lang="en"><title>viewer</title><video id="v" playsinline autoplay></video>
<script>
window.watch = async (url) => {
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver("audio", {direction: "recvonly"});
  pc.addTransceiver("video", {direction: "recvonly"});
  const stream = new MediaStream();
  pc.ontrack = (e) => { stream.addTrack(e.track); document.getElementById("v").srcObject = stream; };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => { if (pc.iceGatheringState === "complete") ok();
                              else pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && ok(); });
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify({sdp: pc.localDescription.sdp, type: "offer"})});
  if (!r.ok) return {status: r.status, body: await r.json()};
  await pc.setRemoteDescription(await r.json());
  window.pc = pc;
  return {status: r.status};
};
window.inbound = async () => {
  const out = {};
  (await window.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp") out[s.kind] = {frames: s.framesDecoded || 0, packets: s.packetsReceived,
                                                  energy: s.totalAudioEnergy || 0, samples: s.totalSamplesReceived || 0,
                                                  level: s.audioLevel || 0, codec: s.codecId,
                                                  // seconds a sample waits in the jitter buffer, on average
                                                  delay: s.jitterBufferDelay / (s.jitterBufferEmittedCount || 1)};
    if (s.type === "codec") out[s.id] = s.mimeType;
  });
  return out;
};
</script></html>"""


async def test_it_plays_the_composer_output_in_chromium(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed")
    from playwright.async_api import async_playwright

    council = await database_sync_to_async(make_council)(seats=3, deputies=0, slug="chr")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    composer = Composer(meeting.id, tmp_path, width=320, height=180, fps=10)
    tone, camera = ToneTrack(700), ColourTrack((200, 80, 80))
    composer.set_sources([tone], camera)
    composer.start()
    streams.composers[meeting.id] = composer
    url = f"http://127.0.0.1/live/{meeting.id}/webrtc/offer"

    async def signalling(route) -> None:  # the page's POST goes to the real view
        response = await AsyncClient().post(f"/live/{meeting.id}/webrtc/offer", route.request.post_data,
                                            content_type="application/json")
        await route.fulfill(status=response.status_code, body=response.content,
                            headers={"Content-Type": "application/json"})

    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page()
            await page.route(url, signalling)
            await page.route("http://127.0.0.1/viewer",
                             lambda route: route.fulfill(body=PAGE, content_type="text/html"))
            await page.goto("http://127.0.0.1/viewer")
            result = await page.evaluate("(url) => window.watch(url)", url)
            assert result["status"] == 200, result
            stats: dict = {}
            for _ in range(100):  # up to ~20 s on a loaded machine
                stats = await page.evaluate("() => window.inbound()")
                if stats.get("video", {}).get("frames", 0) > 10 and stats.get("audio", {}).get("energy", 0) > 0:
                    break
                await asyncio.sleep(0.2)
            assert stats["video"]["frames"] > 10 and stats["audio"]["energy"] > 0, stats
            assert stats[stats["video"]["codec"]] == "video/H264", stats
            assert stats[stats["audio"]["codec"]] == "audio/opus", stats
            assert await page.evaluate("() => document.getElementById('v').currentTime") > 0

            async def energy_over(seconds: float) -> float:  # audio energy Chromium played meanwhile
                before = (await page.evaluate("() => window.inbound()"))["audio"]["energy"]
                await asyncio.sleep(seconds)
                return (await page.evaluate("() => window.inbound()"))["audio"]["energy"] - before

            open_energy = await energy_over(1.0)
            composer.set_gate(True, "Møtet er lukket for publikum")
            # What was sent before the doors closed is still being played for as long as Chromium's
            # jitter buffer holds it (longer on a loaded machine): the silence is measured after that.
            playout = (await page.evaluate("() => window.inbound()"))["audio"]["delay"]
            await asyncio.sleep(0.5 + playout)
            closed_energy = await energy_over(1.0)
            frames_before = (await page.evaluate("() => window.inbound()"))["video"]["frames"]
            composer.set_gate(False)
            await asyncio.sleep(0.5)
            reopened_energy = await energy_over(1.0)
            frames_after = (await page.evaluate("() => window.inbound()"))["video"]["frames"]
            assert open_energy > 0.01 and reopened_energy > 0.01, (open_energy, reopened_energy)
            assert closed_energy < 1e-4, closed_energy  # silence (Opus leaves ~1e-6) while the doors are closed
            assert frames_after > frames_before  # the picture (slate, then camera) kept coming
            assert webrtc.viewer_count() == 1
            await browser.close()
    finally:
        streams.composers.pop(meeting.id, None)
        await composer.stop()
        await webrtc.viewers_close_all()
        tone.stop()
        camera.stop()
    print(json.dumps({"open": open_energy, "closed": closed_energy, "reopened": reopened_energy}))
