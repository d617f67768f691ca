"""The public page's low-latency switch, in a real Chromium against the real server: the one
<video> goes from HLS to the server's WebRTC feed (the chair's recognisable camera and microphone
come through it), back to HLS, and a refusal by the server (every viewer place taken) is shown in
words while HLS keeps playing."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser import fake_media
from tests.browser.conftest import VIEWPORT, assert_accessible, login
from tests.browser.helpers import formannskap_meeting, wait_text
from tests.browser.probes import VIDEO_COLOUR, is_magenta

pytestmark = pytest.mark.browser

SWITCH = "Lav forsinkelse (for presse og overflytningsrom)"

# What the public <video> plays now: which feed, whether it advances over 0.7 s (currentTime and
# decoded frames), and, on WebRTC, the strongest frequency of its sound (WebAudio FFT).
PLAYER = """
async () => {
  const v = document.getElementById('player');
  const frames = () => v.getVideoPlaybackQuality().totalVideoFrames;
  const before = { t: v.currentTime, f: frames() };
  let analyser = null, ctx = null;
  if (v.srcObject) {
    ctx = new AudioContext();
    analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    ctx.createMediaStreamSource(v.srcObject).connect(analyser);
  }
  await new Promise((r) => setTimeout(r, 700));
  let sound = null;
  if (analyser) {
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let peak = 1;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
    sound = { peakHz: Math.round(peak * ctx.sampleRate / analyser.fftSize), peakDb: Math.round(bins[peak]) };
    ctx.close();
  }
  return { feed: v.dataset.feed || null, webrtc: v.srcObject !== null, hlsSource: v.src.startsWith('blob:'),
           advancing: v.currentTime > before.t && frames() > before.f, sound };
}
"""

# A recvonly offer like the page's own, to take viewer places with (never answered by a browser).
OFFER = """
async () => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  while (pc.iceGatheringState !== 'complete') await new Promise((r) => setTimeout(r, 50));
  window.spareOffer = pc;  // kept open: a closed peer would let the server free the place sooner
  return pc.localDescription.sdp;
}
"""


def wait_for_player(page, check, timeout: float = 45.0) -> dict:
    """Measure the player until `check(measurement)` holds; return the last measurement either way."""
    deadline = time.monotonic() + timeout
    while True:
        seen = page.evaluate(PLAYER)
        if check(seen) or time.monotonic() > deadline:
            return seen


def post_offer(url: str, sdp: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps({"sdp": sdp, "type": "offer"}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# How far behind the live edge the player is: the end of what MSE may seek to (hls.js keeps it
# at the live playlist's end) minus the playing position.
BEHIND_EDGE = "() => { const v = document.getElementById('player'); " \
              "return v.seekable.length ? v.seekable.end(v.seekable.length - 1) - v.currentTime : null; }"


def test_the_public_page_plays_low_latency_hls_and_still_plays_ordinary_hls(browser, live_server_url):
    """Low-Latency HLS by default: hls.js in low-latency mode loads the parts and holds blocking
    playlist reloads; `?hls=standard` plays the same stream the ordinary way, full segments only."""
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    chair.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(chair, "#conn-status", "Tilkoblet")
    chair.click("text=Sett møtet")  # no member media needed: the feed carries the slate

    seen = {}
    for mode, query in [("low-latency", ""), ("standard", "?hls=standard")]:
        page = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
        asked: list[str] = []
        page.on("request", lambda r, asked=asked: asked.append(r.url.rsplit("/", 1)[-1]) if "/live/" in r.url else None)
        page.goto(f"{base}/meetings/{meeting}/{query}")
        page.wait_for_function(f"() => document.getElementById('player').dataset.hlsMode === '{mode}'")
        playing = wait_for_player(page, lambda s: s["feed"] == "hls" and s["advancing"])
        assert playing["feed"] == "hls" and playing["hlsSource"] and playing["advancing"], (mode, playing)
        # Past start-up: what the player asks for while it plays along the live edge.
        asked.clear()
        wait_for_player(page, lambda s, asked=asked: len([a for a in asked if "m3u8" in a]) >= 4, timeout=30)
        seen[mode] = {"parts": [a for a in asked if a.startswith("part_")],
                      "segments": [a for a in asked if a.startswith("seg_")],
                      "blocking": [a for a in asked if "_HLS_msn=" in a],
                      "behind_edge_s": page.evaluate(BEHIND_EDGE)}
        page.context.close()
    low, standard = seen["low-latency"], seen["standard"]
    assert low["parts"] and low["blocking"] and not low["segments"], low  # along the edge: parts only
    assert standard["segments"] and not standard["parts"], standard
    print(json.dumps({mode: {"behind_edge_s": round(v["behind_edge_s"] or -1, 2), "parts": len(v["parts"]),
                             "segments": len(v["segments"])} for mode, v in seen.items()}))
    chair.context.close()


def test_it_falls_back_to_hls_when_the_webrtc_connection_drops(browser, live_server_url):
    """The server drops the viewer (here: the meeting ends, and the composer closes its viewers).
    The page would normally hear of the end from the public feed first and switch back at once;
    that feed is held back here, so only the WebRTC connection itself can tell the page."""
    base = live_server_url
    meeting = formannskap_meeting(base)
    chair = login(browser, base, "ordforer")
    chair.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(chair, "#conn-status", "Tilkoblet")
    chair.click("text=Sett møtet")  # no member media needed: the feed carries the slate

    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    held_back = {"on": False}

    def public_socket(ws) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if held_back["on"] else ws.send(message))

    public.route_web_socket("**/ws/public/**", public_socket)
    public.route("**/state.json", lambda route: route.abort() if held_back["on"] else route.continue_())
    public.goto(f"{base}/meetings/{meeting}/")
    switch = public.get_by_label(SWITCH)
    switch.wait_for(state="visible")
    switch.check()
    wait_text(public, "#low-latency-status", "Du ser møtet med lav forsinkelse (WebRTC)")

    held_back["on"] = True
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.click("button[data-cmd='meeting.end']")
    started = time.monotonic()
    # Chromium notices the lost peer in ~5-7 s ("disconnected"); the page waits 4 s more for it to heal.
    wait_text(public, "#low-latency-status", "Forbindelsen med lav forsinkelse ble brutt")
    lost_after = time.monotonic() - started
    assert public.evaluate("document.getElementById('player').srcObject") is None
    public.wait_for_function("() => document.getElementById('player').dataset.feed === 'hls'")
    assert not switch.is_checked()
    assert public.inner_text("#meeting-state") != "Møtet er slutt"  # the feed really was held back
    print(json.dumps({"fallback_after_s": round(lost_after, 1)}))


def test_it_switches_the_public_player_to_low_latency_and_back(browser, speaker_browser, live_server_url, screenshot):
    base = live_server_url
    meeting = formannskap_meeting(base)
    # The chair alone is enough for the public mix: with nobody on the floor it carries the chair's
    # picture (magenta) and voice (a 1500 Hz tone), from the speaker browser's fake devices.
    chair = login(speaker_browser, base, "ordforer")
    chair.goto(f"{base}/meetings/{meeting}/room/")
    wait_text(chair, "#conn-status", "Tilkoblet")
    chair.click("text=Sett møtet")
    chair.click("#join-meeting")
    chair.click("#join-media")

    public = browser.new_context(locale="nb-NO", viewport=VIEWPORT).new_page()
    public.goto(f"{base}/meetings/{meeting}/")
    switch = public.get_by_label(SWITCH)
    switch.wait_for(state="visible")  # offered once the meeting is in session
    hls = wait_for_player(public, lambda s: s["feed"] == "hls" and s["advancing"])
    assert hls["hlsSource"] and not hls["webrtc"], hls

    # Keyboard only: focus the switch and press Space.
    switch.focus()
    started = time.monotonic()
    public.keyboard.press("Space")
    # The tone can come before the picture: the chair's video waits for a keyframe (a busy machine
    # shows the waiting slate meanwhile), so the wait is for both.
    on_webrtc = wait_for_player(public, lambda s: s["webrtc"] and s["advancing"] and s["sound"]
                                and abs(s["sound"]["peakHz"] - fake_media.TONE_HZ) < 60 and s["sound"]["peakDb"] > -70
                                and is_magenta(public.evaluate(VIDEO_COLOUR, "#player")))
    switched_after = time.monotonic() - started
    assert on_webrtc["feed"] == "webrtc" and on_webrtc["advancing"], on_webrtc
    assert abs(on_webrtc["sound"]["peakHz"] - fake_media.TONE_HZ) < 60 and on_webrtc["sound"]["peakDb"] > -70, on_webrtc
    assert is_magenta(public.evaluate(VIDEO_COLOUR, "#player")), public.evaluate(VIDEO_COLOUR, "#player")
    assert switch.is_checked()
    wait_text(public, "#low-latency-status", "Du ser møtet med lav forsinkelse (WebRTC)")
    screenshot(public, "public-low-latency", full_page=False)
    assert_accessible(public, "public page, low latency")

    # And back: the same <video> plays HLS again.
    public.keyboard.press("Space")
    back = wait_for_player(public, lambda s: s["feed"] == "hls" and s["hlsSource"] and s["advancing"])
    assert back["feed"] == "hls" and back["hlsSource"] and not back["webrtc"] and back["advancing"], back
    assert not switch.is_checked()
    wait_text(public, "#low-latency-status", "Du ser den vanlige sendingen (HLS)")

    # Every viewer place taken (LIVESTREAM_MAX_WEBRTC_VIEWERS, 20 on the test server): offers the
    # server holds for LIVESTREAM_WEBRTC_CONNECT_TIMEOUT (120 s on the test server) while nobody
    # completes them (so this test comes last in the session's use of this meeting's places). The
    # page's own offer is then refused.
    offer_url = f"{base}/live/{meeting}/webrtc/offer"
    sdp = public.evaluate(OFFER)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post_offer(offer_url, sdp), range(24)))
    refused = [body["error"]["code"] for status, body in answers if status != 200]
    assert refused and set(refused) == {"viewers_full"}, answers
    switch.click()
    wait_text(public, "#low-latency-status", "Alle plassene med lav forsinkelse er tatt")
    assert "Du ser fortsatt den vanlige sendingen" in public.inner_text("#low-latency-status")
    assert not switch.is_checked()
    still = wait_for_player(public, lambda s: s["feed"] == "hls" and s["advancing"])
    assert still["feed"] == "hls" and still["hlsSource"] and not still["webrtc"] and still["advancing"], still
    print(json.dumps({"switch_to_webrtc_s": round(switched_after, 2), "places_taken": len(answers) - len(refused)}))
    # Ending the meeting stops its composer, which closes every viewer: the places are free again.
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.click("button[data-cmd='meeting.end']")
    wait_text(public, "#meeting-state", "Møtet er slutt")
