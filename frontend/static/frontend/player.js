// HLS in the browser: hls.js where Media Source Extensions exist, native HLS otherwise (Safari).
// Before the meeting opens (or while the encoder restarts) the playlist is missing: wait for it,
// and start again after a fatal error, so a viewer never has to reload the page.
export function attachPlayer(video) {
  const src = video.dataset.src;
  const status = document.getElementById("player-status");

  async function whenAvailable() {
    for (;;) {
      try {
        const r = await fetch(src, { cache: "no-store" });
        if (r.ok) return;
      } catch (e) { /* offline: try again */ }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  async function start() {
    await whenAvailable();
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ liveSyncDurationCount: 2 });
      hls.loadSource(src);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
      hls.on(window.Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        hls.destroy();
        setTimeout(start, 3000);
      });
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
      video.play().catch(() => {});
    } else if (status) {
      status.textContent = "HLS is not supported by this browser.";
    }
  }

  start();
}
