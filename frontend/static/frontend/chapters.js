// The recording's chapters (the agenda items, and within each the speeches held on it, from the
// meeting log) as a visible nested list anyone can use to jump to an item or a speech: read from
// the same chapters.vtt the player's <track> points at. The server names each cue `item-<n>` or
// `speech-<n>` and lets an item's cue span its speeches (livestream/playlists.py).

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
    const kind = timing > 0 && lines[timing - 1].startsWith("speech") ? "speech" : "item";
    if (title) chapters.push({ start: seconds(lines[timing].split("-->")[0]), title, kind });
  }
  return chapters;
}

// Items with their speeches under them; a speech before the first item stands on its own.
export function nestChapters(chapters) {
  const items = [];
  for (const c of chapters) {
    const parent = items[items.length - 1];
    if (c.kind === "speech" && parent && parent.kind === "item") parent.speeches.push(c);
    else items.push({ ...c, speeches: [] });
  }
  return items;
}

function clock(s) {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return `${h ? `${h}:` : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(sec).padStart(2, "0")}`;
}

function entry(c, video) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = `${clock(c.start)} ${c.title}`;
  button.addEventListener("click", () => { video.currentTime = c.start; video.play().catch(() => {}); video.focus(); });
  const li = document.createElement("li");
  li.className = `chapter-${c.kind}`;
  li.append(button);
  return li;
}

export async function showChapters(nav, video, src) {
  const response = await fetch(src).catch(() => null);
  if (!response || !response.ok) return;
  const chapters = parseChapters(await response.text());
  if (!chapters.length) return;
  const list = nav.querySelector("ol");
  list.replaceChildren(...nestChapters(chapters).map((item) => {
    const li = entry(item, video);
    if (item.speeches.length) {
      const speeches = document.createElement("ol");
      speeches.className = "speeches";
      speeches.append(...item.speeches.map((s) => entry(s, video)));
      li.append(speeches);
    }
    return li;
  }));
  nav.hidden = false;
}
