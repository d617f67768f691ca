// The public meeting page: the public state document (cached per log position), loaded once, and
// the public socket, whose events carry the document's changes (`state_patch`) that the page folds
// in, so that no viewer fetches the document again per event. Only what the public may see ever
// reaches this page: the server's visibility policy (meetings/visibility.py) decides it and words
// the legal texts; this page renders them.
//
// The page has three phases, read from the document's meeting.state: before the meeting opens a
// poster stands in place of the player (start time, agenda, when the stream begins); while it is
// live the picture plays with the speaker's name and party over it; once it has ended the "now"
// panel says so and links the minutes, and the player plays the recording with its chapters, or
// says that there is none and asks no more.
import { gettext, interpolate, language } from "./i18n.js";
import { LiveSocket, el } from "./live.js";
import { FoldedState, coalesce } from "./fold.js";
import { attachPlayer } from "./player.js";
import { attachLowLatency } from "./lowlatency.js";
import { resultSummary, voteTitle } from "./votes.js";
import { showChapters } from "./chapters.js";

// A text the server states in every language ({nb, nn, en}, meetings/legal.in_languages): the page's.
const inLanguage = (texts) => texts[language] || texts[language.split("-")[0]] || texts.nb || "";

const root = document.getElementById("public");
const meetingId = Number(root.dataset.meeting);
const $ = (id) => document.getElementById(id);

const STATES = {
  draft: gettext("Draft"), notice_published: gettext("Notice published"),
  in_session: gettext("In session"), suspended: gettext("Suspended"),
  adjourned: gettext("Adjourned"), ended: gettext("Ended"),
};

const LIVE_STATES = new Set(["in_session", "suspended"]);  // the server offers WebRTC viewers only then

function phaseOf(state) {
  if (state === "ended") return "ended";
  return state === "draft" || state === "notice_published" ? "before" : "live";
}
let phase = root.dataset.phase;

// Proposals leave the public document when their item closes; remember their texts so that a
// result on an earlier item still names them.
const proposalTexts = new Map();

function render(doc) {
  if (!doc) return;
  for (const p of doc.proposals) proposalTexts.set(p.id, p.text);
  $("meeting-state").textContent = STATES[doc.meeting.state] || doc.meeting.state;
  const notice = doc.doors.notice;
  $("closed-notice").hidden = !notice;
  $("closed-notice").textContent = notice ? inLanguage(notice) : "";
  $("current-item").textContent = doc.current_item ? `${doc.current_item.case_number} ${doc.current_item.title}` : "–";
  $("speaker").textContent = doc.speaker ? speakerText(doc.speaker) : "–";
  $("speakers").replaceChildren(...doc.speakers.map((s) => el("li", {}, s.name, s.kind === "reply" ? gettext(" (reply)") : "")));
  $("proposals").replaceChildren(...doc.proposals.map((p) => el("li", { value: p.id }, `${p.text} – ${p.by}`)));
  $("votes").replaceChildren(...doc.votes.slice().reverse().map((v) => el("div", { class: "vote-result" },
    el("h4", {}, voteTitle(v)),
    v.state === "open" ? el("p", {}, interpolate(gettext("Voting: %(cast)s of %(eligible)s have voted"), { cast: v.cast, eligible: v.eligible }, true))
      : el("p", {}, resultSummary(v.result, (id) => proposalTexts.get(id))),
    v.result && v.result.decision ? el("p", { class: "decision" }, gettext("Decision: "), v.result.decision) : "")));
  enterPhase(phaseOf(doc.meeting.state));
  showSpeaker(phase === "live" ? doc.speaker : null);
  if (phase !== "ended") $("captions").textContent = captionLine(doc);
  lowLatency?.setLive(LIVE_STATES.has(doc.meeting.state));
  if (phase === "live") $("player-status").textContent = doc.stream.up ? "" : gettext("The live stream is down.");
}

function speakerText(speaker) {
  return speaker.party ? `${speaker.name} (${speaker.party})` : speaker.name;
}

// The name and party over the picture, as a broadcast's lower third.
function showSpeaker(speaker) {
  const overlay = $("speaker-overlay");
  overlay.hidden = !speaker;
  overlay.querySelector(".name").textContent = speaker ? speaker.name : "";
  overlay.querySelector(".party").textContent = speaker ? speaker.party : "";
  overlay.querySelector(".party").hidden = !speaker?.party;
}

function noRecording() {
  $("screen").hidden = true;
  $("chapters").hidden = true;
  $("no-recording").hidden = false;
}

function enterPhase(next) {
  if (next === phase && started) return;
  // On the first render the page is set up for the phase it opened in: no phase came before it.
  const previous = started ? phase : null;
  phase = next;
  started = true;
  $("poster").hidden = phase !== "before";
  $("captions").hidden = phase === "before";
  $("ended-panel").hidden = phase !== "ended";
  $("now-live").hidden = phase === "ended";
  const heading = $("player-h");
  heading.textContent = phase === "ended" ? heading.dataset.ended : heading.dataset.live;
  if (phase === "before") {
    $("screen").hidden = true;
  } else if (phase === "live") {
    $("screen").hidden = false;
    if (previous !== "live") player.start();
  } else if (previous !== null || root.dataset.recording === "1") {
    // A recording the server has seen is there; one the page saw end may still be being written.
    $("screen").hidden = false;
    $("player-status").textContent = "";
    $("captions").textContent = "";
    showSpeaker(null);
    player.play($("player").dataset.recordingSrc, { attempts: previous === null ? 3 : 5, onMissing: noRecording });
    showChapters($("chapters"), $("player"), `/live/${meetingId}/chapters.vtt`);
    followChapters($("player"), $("captions"));
    seekFromLink($("player"));
  }
}

// A link into the recording (the transcript's `?t=<seconds>`) starts it there.
function seekFromLink(video) {
  const t = Number(new URLSearchParams(location.search).get("t"));
  if (t > 0) video.addEventListener("loadedmetadata", () => { video.currentTime = t; }, { once: true });
}

// The text line under the picture says who has the floor on which item, or why there is no
// picture, for viewers who cannot hear (or watch without sound). Speech itself is not transcribed.
function captionLine(doc) {
  if (doc.doors.caption) return inLanguage(doc.doors.caption);
  if (doc.meeting.state === "suspended") return gettext("The meeting is suspended.");
  if (!LIVE_STATES.has(doc.meeting.state)) return "";
  const item = doc.current_item ? `${doc.current_item.case_number} ${doc.current_item.title}` : "";
  if (!doc.speaker) return item;
  return interpolate(gettext("%(name)s has the floor"), { name: doc.speaker.name }, true) + (item ? ` – ${item}` : "");
}

// On the recording the same line names the chapter being played: the item, and the speech in it.
function followChapters(video, line) {
  const track = [...video.textTracks].find((tt) => tt.kind === "chapters");
  if (!track) return;
  track.mode = "hidden";
  track.addEventListener("cuechange", () => {
    const cues = [...(track.activeCues || [])].sort((a, b) => a.startTime - b.startTime);
    line.textContent = cues.map((c) => c.text).join(" – ");
  });
}

async function fetchState() {
  // Revalidate (ETag = log position): a cached copy could be a step behind.
  const r = await fetch(`/public/meetings/${meetingId}/state.json`, { cache: "no-cache" });
  if (r.ok) {
    const doc = await r.json();
    folded.adopt(doc.seq, doc);
  }
}

let started = false;  // enterPhase has set the page up once
const player = attachPlayer($("player"), { autostart: false });
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
