// The clerk's meeting page follows the meeting while it is held: every few seconds the health
// section (status, stream, doors, who is present and who can see and hear) is replaced with a
// fresh copy from the server, without reloading the page, so forms keep what the clerk typed.
// It stops once the meeting has ended (the fresh copy is no longer marked live).
const REFRESH_MS = 4000;

function follow(section) {
  const timer = setInterval(async () => {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("health");
      if (!fresh) return;
      section.replaceChildren(...fresh.childNodes);
      if (fresh.dataset.live !== "1") {
        delete section.dataset.live;
        clearInterval(timer);
      }
    } catch (e) { /* offline for a moment: try again at the next tick */ }
  }, REFRESH_MS);
}

const health = document.getElementById("health");
if (health && health.dataset.live === "1") follow(health);
