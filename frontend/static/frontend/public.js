// The public meeting page: the public state document (cached per log position), loaded once, and
// the public socket, whose events carry the document's changes (`state_patch`) that the page folds
// in, so that no viewer fetches the document again per event. Only what the public may see ever
// reaches this page: the server's visibility policy (meetings/visibility.py) decides it and words
// the legal texts; this page renders them.
import { LiveSocket, el, t } from "./live.js";
import { FoldedState, coalesce } from "./fold.js";
import { attachPlayer } from "./player.js";
import { attachLowLatency } from "./lowlatency.js";
import { resultSummary, voteTitle } from "./votes.js";
import { showChapters } from "./chapters.js";

const root = document.getElementById("public");
const meetingId = Number(root.dataset.meeting);
const $ = (id) => document.getElementById(id);

const STATES = {
  draft: t("Utkast", "Draft"), notice_published: t("Innkalling publisert", "Notice published"),
  in_session: t("Møtet pågår", "In session"), suspended: t("Pause", "Suspended"),
  adjourned: t("Hevet til senere", "Adjourned"), ended: t("Møtet er slutt", "Ended"),
};

const LIVE_STATES = new Set(["in_session", "suspended"]);  // the server offers WebRTC viewers only then

// Proposals leave the public document when their item closes; remember their texts so that a
// result on an earlier item still names them.
const proposalTexts = new Map();

function render(doc) {
  if (!doc) return;
  for (const p of doc.proposals) proposalTexts.set(p.id, p.text);
  $("meeting-state").textContent = STATES[doc.meeting.state] || doc.meeting.state;
  const notice = doc.doors.notice;
  $("closed-notice").hidden = !notice;
  $("closed-notice").textContent = notice ? t(notice.nb, notice.en) : "";
  $("current-item").textContent = doc.current_item ? `${doc.current_item.case_number} ${doc.current_item.title}` : "–";
  $("speaker").textContent = doc.speaker ? doc.speaker.name : "–";
  $("speakers").replaceChildren(...doc.speakers.map((s) => el("li", {}, s.name, s.kind === "reply" ? t(" (replikk)", " (reply)") : "")));
  $("proposals").replaceChildren(...doc.proposals.map((p) => el("li", { value: p.id }, `${p.text} – ${p.by}`)));
  $("votes").replaceChildren(...doc.votes.slice().reverse().map((v) => el("div", { class: "vote-result" },
    el("h4", {}, voteTitle(v)),
    v.state === "open" ? el("p", {}, t(`Votering pågår: ${v.cast} av ${v.eligible} har stemt`, `Voting: ${v.cast} of ${v.eligible} have voted`))
      : el("p", {}, resultSummary(v.result, (id) => proposalTexts.get(id))),
    v.result && v.result.decision ? el("p", { class: "decision" }, t("Vedtak: ", "Decision: "), v.result.decision) : "")));
  if (!$("chapters")) $("captions").textContent = captionLine(doc);
  lowLatency?.setLive(LIVE_STATES.has(doc.meeting.state));
  $("player-status").textContent = doc.stream.up ? "" : t("Direkteoverføringen er nede.", "The live stream is down.");
}

// The text line under the picture says who has the floor on which item, or why there is no
// picture, for viewers who cannot hear (or watch without sound). Speech itself is not transcribed.
function captionLine(doc) {
  if (doc.doors.caption) return t(doc.doors.caption.nb, doc.doors.caption.en);
  if (doc.meeting.state === "suspended") return t("Pause i møtet.", "The meeting is suspended.");
  if (!LIVE_STATES.has(doc.meeting.state)) return "";
  const item = doc.current_item ? `${doc.current_item.case_number} ${doc.current_item.title}` : "";
  if (!doc.speaker) return item;
  return t(`${doc.speaker.name} har ordet`, `${doc.speaker.name} has the floor`) + (item ? ` – ${item}` : "");
}

// On the recording the same line names the chapter being played (the item or the speech).
function followChapters(video, line) {
  const track = [...video.textTracks].find((tt) => tt.kind === "chapters");
  if (!track) return;
  track.mode = "hidden";
  track.addEventListener("cuechange", () => { line.textContent = track.activeCues?.[0]?.text || ""; });
}

async function fetchState() {
  // Revalidate (ETag = log position): a cached copy could be a step behind.
  const r = await fetch(`/public/meetings/${meetingId}/state.json`, { cache: "no-cache" });
  if (r.ok) {
    const doc = await r.json();
    folded.adopt(doc.seq, doc);
  }
}

const player = attachPlayer($("player"));
// Only the live page has the switch; the recording of an ended meeting is HLS alone.
const lowLatency = $("low-latency") && attachLowLatency({
  video: $("player"), toggle: $("low-latency"), status: $("low-latency-status"), hls: player,
  offerUrl: `/live/${meetingId}/webrtc/offer`,
});
let live = null;
const scheduleRender = coalesce(() => render(folded.state));
// The public sees a subsequence of the log: an event follows the document held when the public
// event before it (prev_public_seq) is in it. A gap asks the socket for the document, not state.json.
const folded = new FoldedState({
  load: async () => live.request("state"),
  follows: (msg, seq) => msg.prev_public_seq != null && msg.prev_public_seq <= seq,
  onChange: scheduleRender,
});
live = new LiveSocket(`/ws/public/meetings/${meetingId}/`, {
  member: false,
  onEvent: (msg) => folded.event(msg),
  onStatus: (s) => { if (s === "offline") folded.disconnected(); },
  onMessage: (msg) => msg.type === "state" && folded.adopt(msg.seq, msg.state),
});
window.councilPublic = { live, folded };  // for the end-to-end tests
fetchState();
if ($("chapters")) {
  showChapters($("chapters"), $("player"), `/live/${meetingId}/chapters.vtt`);
  followChapters($("player"), $("captions"));
}
