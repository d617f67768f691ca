import { gettext } from "./i18n.js";

// HLS in the browser: hls.js where Media Source Extensions exist, native HLS otherwise (Safari).
// Before the meeting opens (or while the encoder restarts) the playlist is missing: wait for it,
// and start again after a fatal error, so a viewer never has to reload the page.
// The returned controller lets the low-latency player (lowlatency.js) borrow the same <video>
// and hand it back. A live stream may begin at any time, so the live page waits for it as long as
// it is open; a recording either exists or will not come, so `attempts` bounds the wait for it and
// `onMissing` is told when the player has given up (and asks no more).
export function attachPlayer(video, { attempts = Infinity, onMissing = () => {}, autostart = true } = {}) {
  let src = video.dataset.src;
  const status = document.getElementById("player-status");
  let hls = null;
  // Every start() and stop() begins a new generation; a wait or a retry scheduled by an earlier
  // one finds itself outdated and gives up, so a stopped player never comes back by itself.
  let generation = 0;

  let left = attempts;
  let standard = new URLSearchParams(window.location.search).get("hls") === "standard";

  async function whenAvailable(mine) {
    while (mine === generation) {
      try {
        const r = await fetch(src, { cache: "no-store" });
        if (r.ok) return true;
      } catch (e) { /* offline: try again */ }
      if (--left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    return false;
  }

  async function start() {
    const mine = ++generation;
    const available = await whenAvailable(mine);
    if (mine !== generation) return;
    if (!available) {
      generation++;
      onMissing();
      return;
    }
    video.dataset.feed = "hls";
    if (window.Hls && window.Hls.isSupported()) {
      // Low-Latency HLS (parts, blocking reload): hls.js plays 1 s behind the newest part (the
      // server's PART-HOLD-BACK: three parts of 1/3 s) and up to 1.25x fast to get back there after
      // a start or a stall; a stall moves that aim back by 0.2 s, not hls.js's default whole
      // second. More than 3 s behind (where hls.js no longer speeds up) it jumps back to the live
      // edge; without that, one long stall on a busy machine left it 3-4 s behind for good.
      // Ordinary HLS, two segments behind, when the page asks for it (?hls=standard) or after a
      // media error in low latency; a recording plays the same either way.
      const lowLatency = standard === false;
      hls = new window.Hls(lowLatency
        ? { lowLatencyMode: true, liveSyncDuration: 1, liveMaxLatencyDuration: 3, maxLiveSyncPlaybackRate: 1.25,
          liveSyncOnStallIncrease: 0.2 }
        : { lowLatencyMode: false, liveSyncDurationCount: 2 });
      video.dataset.hlsMode = lowLatency ? "low-latency" : "standard";
      hls.loadSource(src);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
      hls.on(window.Hls.Events.ERROR, (_, data) => {
        if (!data.fatal || mine !== generation) return;
        // A stream the browser cannot decode in parts falls back for good; a network error
        // (the stream down for a while) does not.
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) standard = true;
        hls.destroy();
        hls = null;
        setTimeout(() => mine === generation && start(), 3000);
      });
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
      video.play().catch(() => {});
    } else if (status) {
      status.textContent = gettext("This browser cannot play the stream (HLS).");
    }
  }

  function stop() {
    generation++;
    if (hls) {
      hls.destroy();  // also detaches the media source from the <video>
      hls = null;
    } else if (video.getAttribute("src")) {
      video.removeAttribute("src");
      video.load();
    }
    delete video.dataset.feed;
  }

  // The same <video> plays another source from now on (the recording once the meeting has ended).
  function play(newSrc, limits = {}) {
    stop();
    src = newSrc;
    left = limits.attempts ?? Infinity;
    if (limits.onMissing) onMissing = limits.onMissing;
    start();
  }

  if (autostart) start();
  return { start, stop, play };
}
