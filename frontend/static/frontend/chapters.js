// The recording's chapters (one per agenda item, from the meeting log) as a visible list anyone can
// use to jump to an item: read from the same chapters.vtt the player's <track> points at.

function seconds(stamp) {
  const parts = stamp.trim().split(":").map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

export function parseChapters(vtt) {
  const chapters = [];
  for (const block of vtt.replace(/\r/g, "").split(/\n\n+/)) {
    const lines = block.split("\n");
    const timing = lines.findIndex((l) => l.includes("-->"));
    if (timing < 0) continue;
    const title = lines.slice(timing + 1).join(" ").trim();
    if (title) chapters.push({ start: seconds(lines[timing].split("-->")[0]), title });
  }
  return chapters;
}

function clock(s) {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return `${h ? `${h}:` : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(sec).padStart(2, "0")}`;
}

export async function showChapters(nav, video, src) {
  const response = await fetch(src).catch(() => null);
  if (!response || !response.ok) return;
  const chapters = parseChapters(await response.text());
  if (!chapters.length) return;
  const list = nav.querySelector("ol");
  list.replaceChildren(...chapters.map((c) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = `${clock(c.start)} ${c.title}`;
    button.addEventListener("click", () => { video.currentTime = c.start; video.play().catch(() => {}); video.focus(); });
    const li = document.createElement("li");
    li.append(button);
    return li;
  }));
  nav.hidden = false;
}
