// The clerk's caption editor (captions/templates/captions/editor.html): each speech's play button
// plays the recording from that speech's start, in the same player the public page uses (hls.js,
// or native HLS). The player loads the recording only when first asked, so opening the editor
// fetches no video.
import { attachPlayer } from "./player.js";

const video = document.getElementById("player");
if (video) {
  const status = document.getElementById("player-status");
  const player = attachPlayer(video, {
    attempts: 3, autostart: false,
    onMissing: () => { if (status) status.textContent = status.dataset.missing || ""; },
  });
  let loading = false;

  function playFrom(seconds) {
    const go = () => {
      video.currentTime = seconds;
      video.play().catch(() => {});
    };
    if (!loading) {
      loading = true;
      video.addEventListener("loadedmetadata", go, { once: true });
      player.start();
    } else if (video.readyState >= 1) {
      go();
    } else {
      video.addEventListener("loadedmetadata", go, { once: true });
    }
    video.scrollIntoView({ block: "nearest" });
  }

  for (const button of document.querySelectorAll("button.play[data-start]")) {
    button.addEventListener("click", () => playFrom(Number(button.dataset.start)));
  }
}
