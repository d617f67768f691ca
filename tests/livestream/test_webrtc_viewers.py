"""Low-latency public viewers: real aiortc viewer peers receive the composer's own H.264/Opus
output through the signalling endpoint, the gate cuts them like HLS, and every refusal is a clear
JSON error."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from livestream import webrtc
from livestream.bridge import streams
from livestream.composer import Composer
from tests.conference.clients import ColourTrack, ToneTrack
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.integration.test_media_follows_the_log import eventually
from tests.livestream.signal import tone_amplitude
from tests.livestream.viewer import Viewer

pytestmark = [pytest.mark.media, pytest.mark.django_db(transaction=True)]
TONE = 1000
RED = (200, 80, 80)  # YUV of the member's camera: a saturated red picture


@pytest.fixture(autouse=True)
def fast_ice(fast_stun, settings):
    settings.LIVESTREAM_MAX_WEBRTC_VIEWERS = 2


@pytest.fixture
async def live_meeting(tmp_path):
    """A meeting in session whose composer mixes a member's tone and red camera."""
    council = await database_sync_to_async(make_council)(seats=3, deputies=0, slug="view")
    meeting = await database_sync_to_async(make_meeting)(council)
    await database_sync_to_async(start_meeting)(council, meeting)
    composer = Composer(meeting.id, tmp_path, width=160, height=90, fps=10, segment_seconds=1.0, window=100)
    tone, camera = ToneTrack(TONE), ColourTrack(RED)
    composer.set_sources([tone], camera)
    composer.start()
    streams.composers[meeting.id] = composer
    yield meeting, composer, council
    streams.composers.pop(meeting.id, None)
    await composer.stop()
    await webrtc.viewers_close_all()
    tone.stop()
    camera.stop()


async def test_it_sends_the_composer_output_to_a_viewer_and_the_gate_cuts_it(live_meeting):
    meeting, composer, _ = live_meeting
    viewer = Viewer()
    try:
        response = await viewer.connect(meeting.id)
        assert response.status_code == 200, response.content
        assert "H264" in response.json()["sdp"] and "opus" in response.json()["sdp"]
        await eventually(lambda: viewer.tone_since(time.time() - 0.5, TONE) > 0.1, timeout=10)
        await eventually(lambda: len(viewer.pictures_since(time.time() - 0.5)) >= 2)
        r, g, b = viewer.pictures_since(time.time() - 0.5)[-1]
        assert r > 120 and r > b, (r, g, b)  # the member's red camera, forwarded as H.264
        assert viewer.video[-1][2] == "yuv420p"

        composer.set_gate(True, "Møtet er lukket for publikum")
        closed_at = time.time()
        await asyncio.sleep(2.0)
        # Nothing at the tone once the cut has travelled (one tick plus the network path).
        late = [(t - closed_at, pcm) for t, pcm in viewer.windows() if t > closed_at + 0.5]
        assert late and max(webrtc_tone(pcm) for _, pcm in late) < 0.01
        first_silent = min(t for t, pcm in viewer.windows() if t > closed_at and webrtc_tone(pcm) < 0.01)
        print(f"doors closed -> first silent viewer window: {1000 * (first_silent - closed_at):.0f} ms")
        r, g, b = viewer.pictures_since(closed_at + 0.5)[-1]
        assert b > r, (r, g, b)  # the dark-blue slate

        composer.set_gate(False)
        opened_at = time.time()
        await eventually(lambda: viewer.tone_since(time.time() - 0.3, TONE) > 0.1, timeout=5)
        assert time.time() - opened_at < 3
    finally:
        await viewer.close()


def webrtc_tone(pcm) -> float:
    return tone_amplitude(pcm, TONE)


async def test_it_encodes_once_for_all_viewers_and_closes_them_when_the_stream_stops(live_meeting):
    meeting, composer, _ = live_meeting
    viewers = [Viewer(), Viewer()]
    try:
        for viewer in viewers:
            assert (await viewer.connect(meeting.id)).status_code == 200
        await eventually(lambda: all(v.tone_since(time.time() - 0.5, TONE) > 0.1 for v in viewers), timeout=10)
        hub = webrtc._hubs[meeting.id]
        assert composer._sinks == [hub]  # one sink, one Opus encode, however many viewers
        assert len(hub.viewers) == 2 and webrtc.viewer_count() == 2
        senders = [t.sender for v in hub.viewers for t in v.pc.getTransceivers()]
        assert {type(s.track).__name__ for s in senders} == {"PacketTrack"}  # packets, never frames

        server_side = list(hub.viewers)
        await composer.stop()  # what the bridge does on meeting.ended
        await eventually(lambda: webrtc.viewer_count() == 0)
        assert all(v.pc.connectionState == "closed" for v in server_side) and meeting.id not in webrtc._hubs
        await eventually(lambda: all(v.ended == {"audio", "video"} for v in viewers), timeout=40)
    finally:
        for viewer in viewers:
            await viewer.close()


async def test_it_refuses_a_viewer_beyond_the_cap_with_viewers_full(live_meeting, settings):
    meeting, _, _ = live_meeting
    settings.LIVESTREAM_MAX_WEBRTC_VIEWERS = 1
    first, second = Viewer(), Viewer()
    try:
        assert (await first.connect(meeting.id)).status_code == 200
        response = await second.connect(meeting.id)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "viewers_full"
    finally:
        await first.close()
        await second.close()


async def test_it_frees_the_place_of_a_viewer_that_never_connects(live_meeting, settings, monkeypatch):
    meeting, _, _ = live_meeting
    settings.LIVESTREAM_MAX_WEBRTC_VIEWERS = 1
    settings.LIVESTREAM_WEBRTC_CONNECT_TIMEOUT = 1.5
    idle = Viewer()
    try:
        response = await post(meeting.id, json.dumps(await idle.offer()))  # the answer is never applied
        assert response.status_code == 200 and webrtc.viewer_count() == 1
        await eventually(lambda: webrtc.viewer_count() == 0, timeout=5)
    finally:
        await idle.close()
    viewer = Viewer()
    try:
        assert (await viewer.connect(meeting.id)).status_code == 200  # the place is free again
        await eventually(lambda: viewer.pc.connectionState == "connected")
        await asyncio.sleep(2.0)
        assert webrtc.viewer_count() == 1  # a connected viewer is kept
    finally:
        await viewer.close()


async def post(meeting_id: int | str, body: bytes | str, content_type: str = "application/json"):
    return await AsyncClient().post(f"/live/{meeting_id}/webrtc/offer", body, content_type=content_type)


async def test_it_answers_bad_offers_with_clear_errors(live_meeting):
    meeting, _, _ = live_meeting
    good = await Viewer().offer()
    sendrecv = good["sdp"].replace("a=recvonly", "a=sendrecv")
    no_h264 = "\r\n".join(line for line in good["sdp"].split("\r\n")
                          if "H264" not in line and "packetization-mode" not in line)
    cases = [
        (b"{not json", 400, "bad_json"),
        (b"[1, 2]", 400, "bad_json"),
        (json.dumps({"sdp": "hello", "type": "offer"}), 400, "bad_sdp"),
        (json.dumps({"sdp": "v=0\r\nm=audio nonsense\r\n", "type": "offer"}), 400, "bad_sdp"),
        (json.dumps({"sdp": good["sdp"], "type": "answer"}), 400, "bad_sdp_type"),
        (json.dumps({"type": "offer"}), 400, "bad_sdp"),
        (json.dumps({"sdp": sendrecv, "type": "offer"}), 400, "not_recvonly"),
        (json.dumps({"sdp": no_h264, "type": "offer"}), 400, "unsupported_codec"),
        (json.dumps({"sdp": "v=0\r\n" + "a=x\r\n" * 5000, "type": "offer"}), 413, "too_large"),
    ]
    for body, status, code in cases:
        response = await post(meeting.id, body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (body[:40], response.json())
    assert webrtc.viewer_count() == 0  # no debris from refused offers
    response = await AsyncClient().get(f"/live/{meeting.id}/webrtc/offer")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


async def test_it_refuses_unknown_meetings_and_meetings_not_live(live_meeting):
    meeting, _, council = live_meeting
    offer = json.dumps(await Viewer().offer())
    for meeting_ref in (meeting.id + 1000, 10**30, "abc"):
        response = await post(meeting_ref, offer)
        assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_meeting"
    await database_sync_to_async(run)(council.chair, meeting, "meeting.end")
    response = await post(meeting.id, offer)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_live"


async def test_it_says_the_stream_is_unavailable_when_no_composer_runs_here(live_meeting):
    meeting, _, _ = live_meeting
    streams.composers.pop(meeting.id)
    response = await post(meeting.id, json.dumps(await Viewer().offer()))
    assert response.status_code == 503 and response.json()["error"]["code"] == "stream_unavailable"


async def test_it_relays_an_offer_to_the_media_worker_that_runs_the_composer(live_meeting, settings, monkeypatch):
    """Production shape: the composer runs in a media worker, not in the web process; the offer
    travels over the channel layer to it and the viewer is served there."""
    meeting, composer, _ = live_meeting
    settings.MEDIA_IN_PROCESS = False
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    streams.composers.pop(meeting.id)  # not in the web process
    webrtc.viewers_listen(meeting.id, composer)  # what the bridge does in the worker
    viewer = Viewer()
    try:
        response = await viewer.connect(meeting.id)
        assert response.status_code == 200, response.content
        await eventually(lambda: viewer.tone_since(time.time() - 0.5, TONE) > 0.1, timeout=10)
        settings.LIVESTREAM_MAX_WEBRTC_VIEWERS = 1  # the worker, which holds the viewers, enforces the cap
        refused = await post(meeting.id, json.dumps(await Viewer().offer()))
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "viewers_full"
    finally:
        await viewer.close()
        await composer.stop()  # the worker stops serving offers with its composer
    await eventually(lambda: not webrtc._serving, timeout=5)
    monkeypatch.setattr(webrtc, "RELAY_TIMEOUT", 1.0)  # nobody answers now; do not wait the full 10 s
    gone = await post(meeting.id, json.dumps(await Viewer().offer()))
    assert gone.status_code == 503 and gone.json()["error"]["code"] == "stream_unavailable"
