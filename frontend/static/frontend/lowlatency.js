// Low latency for press and overflow rooms: the page's one <video> switches from HLS to the
// server's WebRTC feed (livestream/webrtc.py) and back.
//
// The server does not trickle ICE: the page sends one recvonly offer with its candidates already
// gathered and gets one complete answer. HLS keeps playing until the WebRTC connection is up, so
// a refusal (all places taken, the meeting not live) or a connection that never comes up costs
// the viewer nothing; a connection that fails later hands the <video> back to HLS by itself.
import { gettext, interpolate } from "./i18n.js";

const GATHER_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 10000;  // the server frees an unconnected place after 10 s as well
const DISCONNECTED_GRACE_MS = 4000;  // "disconnected" often heals by itself; "failed" does not

// The server's refusals in words; a code not listed here shows the server's own message.
const REASONS = {
  viewers_full: gettext("All low-latency places are taken."),
  not_live: gettext("The meeting is not in session."),
  stream_unavailable: gettext("The live stream is not running."),
  unknown_meeting: gettext("The meeting does not exist."),
  unsupported_codec: gettext("This browser cannot play H.264 video."),
};

class Refusal extends Error {}

function reasonFor(body, status) {
  const error = body && body.error;
  if (error && REASONS[error.code]) return REASONS[error.code];
  if (error && error.message) return error.message;
  return interpolate(gettext("The server answered %(status)s."), { status }, true);
}

function waitFor(check, subscribe, ms, timeoutMessage) {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => reject(new Refusal(timeoutMessage)), ms);
    subscribe(() => {
      try {
        if (check()) { clearTimeout(timer); resolve(); }
      } catch (err) { clearTimeout(timer); reject(err); }
    });
  });
}

// Offer, answer, and the stream the answer's tracks arrive on. Throws Refusal with words to show.
async function negotiate(pc, offerUrl) {
  const stream = new MediaStream();
  pc.ontrack = (event) => stream.addTrack(event.track);
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === "complete",
    (fn) => pc.addEventListener("icegatheringstatechange", fn), GATHER_TIMEOUT_MS,
    gettext("The browser found no network path."));
  let response;
  try {
    response = await fetch(offerUrl, {
      method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }),
    });
  } catch (err) {
    throw new Refusal(gettext("Could not reach the server."));
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || body.type !== "answer") throw new Refusal(reasonFor(body, response.status));
  await pc.setRemoteDescription(body);
  await waitFor(() => {
    if (pc.connectionState === "failed") throw new Refusal(gettext("The connection could not be made."));
    return pc.connectionState === "connected";
  }, (fn) => pc.addEventListener("connectionstatechange", fn), CONNECT_TIMEOUT_MS,
  gettext("The connection could not be made."));
  return stream;
}

// toggle: a checkbox; status: a live region; hls: the controller from player.js.
export function attachLowLatency({ video, toggle, status, hls, offerUrl }) {
  let pc = null;
  // Each switch on or off starts a new attempt; a slower, older attempt that finishes later
  // closes its own connection instead of taking the <video>.
  let attempt = 0;

  const say = (text) => { status.textContent = text; };

  function closeConnection() {
    if (pc) pc.close();
    pc = null;
  }

  function backToHls(message) {
    attempt++;
    closeConnection();
    toggle.checked = false;
    if (video.dataset.feed === "webrtc") {
      video.srcObject = null;
      delete video.dataset.feed;
      hls.start();
    }
    say(message);
  }

  function watch(conn, mine) {
    conn.addEventListener("connectionstatechange", () => {
      if (mine !== attempt) return;
      const lost = () => backToHls(gettext("The low-latency connection was lost. You are watching the regular stream again."));
      if (conn.connectionState === "failed" || conn.connectionState === "closed") lost();
      else if (conn.connectionState === "disconnected") {
        setTimeout(() => mine === attempt && conn.connectionState !== "connected" && lost(), DISCONNECTED_GRACE_MS);
      }
    });
  }

  async function switchOn() {
    const mine = ++attempt;
    closeConnection();
    const conn = pc = new RTCPeerConnection();
    say(gettext("Connecting with low latency …"));
    let stream;
    try {
      stream = await negotiate(conn, offerUrl);
    } catch (err) {
      if (mine !== attempt) return conn.close();
      const why = err instanceof Refusal ? err.message : gettext("The browser could not connect.");
      return backToHls(interpolate(gettext("Low latency is not available: %(why)s You are still watching the regular stream."),
        { why }, true));
    }
    if (mine !== attempt) return conn.close();
    hls.stop();
    video.srcObject = stream;
    video.dataset.feed = "webrtc";
    video.play().catch(() => {});
    watch(conn, mine);
    say(gettext("You are watching with low latency (WebRTC), a fraction of a second behind."));
  }

  toggle.addEventListener("change", () => {
    if (toggle.checked) switchOn();
    else backToHls(gettext("You are watching the regular stream (HLS), a few seconds behind."));
  });

  // The meeting stops being live (it ended, or was adjourned): there is no WebRTC feed to keep.
  return {
    setLive(live) {
      toggle.closest("[data-low-latency]").hidden = !live;
      if (!live && toggle.checked) backToHls("");
    },
  };
}
