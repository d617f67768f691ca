// The member room and the chair console. The page renders the full live state (the same projection
// of the log the server keeps): loaded once on (re)connect, then kept current by folding each event's
// patch from the server (fold.js), so what it shows is always the log without a state read per event.
import { LiveSocket, el, t } from "./live.js";
import { FoldedState, coalesce } from "./fold.js";
import { MemberMedia } from "./media.js";
import { PreJoinCheck } from "./prejoin.js";
import { optionLabel, resultDetails, resultSummary, voteTitle } from "./votes.js";
import { presenceText, reasonText } from "./presence.js";
import { ConflictLog, KINDS } from "./conflicts.js";
import { setupChair, speakerControls } from "./chair.js";

const root = document.getElementById("room");
const meetingId = Number(root.dataset.meeting);
const me = String(root.dataset.person);
const $ = (id) => document.getElementById(id);
const json = (id) => JSON.parse($(id).textContent);
const grounds = json("grounds-data");
let state = null;
const talking = new Map();
const conflicts = new ConflictLog();
let wasOffline = false;

const folded = new FoldedState({
  load: async () => live.request("state"),
  follows: (msg, seq) => msg.seq === seq + 1,  // the member socket carries every event of the log
  onChange: (s) => { state = s; scheduleRender(); },
});

const live = new LiveSocket(`/ws/meetings/${meetingId}/`, {
  onEvent: (msg) => { if (conflicts.apply(msg)) scheduleRender(); folded.event(msg); },
  onStatus: (s, code) => {
    if (s === "refused") { showRefusal(code); return; }
    $("conn-status").textContent = { online: t("Tilkoblet", "Connected"), offline: t("Frakoblet – kobler til igjen …", "Disconnected – reconnecting …"), connecting: t("Kobler til …", "Connecting …") }[s];
    if (s === "offline") { wasOffline = true; folded.disconnected(); }
    if (s !== "online") return;
    folded.reload();  // the whole state once per (re)connect; events after it arrive with their patches
    // The media worker keeps a member's call across socket drops; if the call did not survive
    // (server restart, network change), set it up again now that signalling is back.
    if (wasOffline) media.recover().catch(showError);
    wasOffline = false;
  },
  onMessage: (msg) => {
    if (msg.type === "media.talking") { talking.set(String(msg.person), Date.now()); renderMembers(); }
    if (msg.type === "media.slots") { slotPeople = msg.slots; labelSlots(); }
  },
});

const scheduleRender = coalesce(() => render());

// The server refused the socket for good (docs/protocol.md, "Connecting"): say why, and for a login
// that ended, where to log in again; the call ends with it.
function showRefusal(code) {
  const status = $("conn-status");
  status.replaceChildren();
  if (code === 4401) {
    const next = encodeURIComponent(location.pathname);
    status.append(t("Du er ikke lenger logget inn. ", "You are no longer logged in. "),
      el("a", { href: `/accounts/login/?next=${next}` }, t("Logg inn igjen", "Log in again")));
  } else if (code === 4403) {
    status.textContent = t("Du har ikke tilgang til dette møtet.", "You have no access to this meeting.");
  } else {
    status.textContent = t("Møtet finnes ikke.", "This meeting does not exist.");
  }
  media.stop();
}

// A refused command's message, as the server wrote it, next to the control that sent it (`near`).
function showError(e, near = "errors") {
  const box = $(near) || $("errors");
  box.textContent = e.message || String(e);
  setTimeout(() => { box.textContent = ""; }, 8000);
}

async function send(type, payload = {}, near = "errors") {
  try { return await live.request(type, payload); } catch (e) { showError(e, near); return null; }
}

// Whose media each receive slot carries, by mid, as the media server last said (media.slots).
let slotPeople = {};
const rosterNames = new Map(json("roster-data").map((m) => [m.id, m.name]));
const personName = (pid) => state?.attendance?.[pid]?.name || rosterNames.get(pid) || state?.roster?.[pid]?.name || "";

function labelSlots() {
  for (const node of $("floor-videos").querySelectorAll("figure[data-mid]")) {
    const pid = slotPeople[node.dataset.mid];
    const person = pid === null || pid === undefined ? "" : String(pid);
    const role = person && state?.meeting?.chair === person ? t("møteleder", "chair") : t("har ordet", "has the floor");
    node.dataset.person = person;
    node.querySelector("figcaption").textContent = person ? `${personName(person)} (${role})` : "";
    node.querySelector("video, audio").setAttribute("aria-label", person ? `${personName(person)} (${role})` : t("Ledig", "Idle"));
  }
}

const isChair = () => state && state.meeting.chair === me;
const proposalText = (id) => state.proposals[String(id)]?.text || null;
const groundLabel = (code) => grounds[code] || code;
const renderChair = $("chair") ? setupChair({ send, request: (type, payload) => live.request(type, payload),
  getState: () => state, getSeq: () => folded.seq, roster: json("roster-data"), conflicts }) : null;

function render() {
  if (!state) return;
  labelSlots();
  const item = state.current_item && state.items[state.current_item];
  $("current-item").textContent = item ? `${item.case_number} ${item.title}` : "–";
  $("speaker").textContent = state.floor ? `${state.floor.name}${state.floor.kind === "reply" ? t(" (replikk)", " (reply)") : ""}` : "–";
  $("speakers").replaceChildren(...state.speakers.map((s, index) => el("li", {}, s.name, s.kind === "reply" ? t(" (replikk)", " (reply)") : "",
    isChair() ? [" ", speakerControls({ send, state, index })] : "")));
  renderProposals();
  renderPapers();
  const doors = state.doors;
  $("doors-banner").hidden = !doors.closed;
  $("doors-banner").textContent = doors.closed ? t(`Dørene er lukket (${groundLabel(doors.ground)}). Publikum ser og hører ikke møtet.`, `The doors are closed (${groundLabel(doors.ground)}). The public cannot see or hear the meeting.`) : "";
  const mine = state.presence[me];
  const degraded = Boolean(state.attendance[me]?.present && mine && !mine.sees_and_hears);
  $("degraded-banner").hidden = !degraded;
  $("degraded-banner").textContent = degraded ? t(`Du: ${reasonText(mine.reason)}. Du regnes ikke som til stede i voteringen (kommuneloven § 11-7 andre ledd).`, `You: ${reasonText(mine.reason)}. You do not count as present for the vote (Local Government Act § 11-7 (2)).`) : "";
  renderVote();
  renderResults();
  renderMembers();
  renderMyConflicts();
  renderWrittenBallot();
  if (renderChair) renderChair(state);
}

function renderProposals() {
  const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item);
  $("proposals").replaceChildren(...proposals.map((p) => el("li", { value: p.id }, `${p.text} – ${p.by_name}`,
    p.withdrawn ? t(" (trukket)", " (withdrawn)") : "",
    String(p.by) === me && !p.withdrawn ? [" ", el("button", { type: "button", class: "secondary withdraw-proposal",
      onclick: () => send("proposal.withdraw", { proposal: Number(p.id) }) }, t("Trekk forslaget", "Withdraw the proposal"))] : "")));
}

function renderVote() {
  const open = state.open_vote && state.votes[state.open_vote];
  const box = $("vote");
  box.hidden = !open;
  if (!open) return box.replaceChildren();
  const mine = open.ballots[me];
  const label = (o) => optionLabel(o, proposalText);
  box.replaceChildren(
    el("h3", {}, voteTitle(open)),
    el("p", {}, t(`${Object.keys(open.ballots).length} av ${open.eligible.length} har stemt`, `${Object.keys(open.ballots).length} of ${open.eligible.length} have voted`)),
    open.eligible.includes(me)
      ? (mine ? el("p", {}, t("Du stemte: ", "You voted: "), label(mine))
        : el("div", { role: "group", "aria-label": t("Stemmealternativer", "Options") },
          ...open.options.map((o) => el("button", { type: "button", class: "option", onclick: () => send("vote.cast", { vote: Number(state.open_vote), choice: o }) }, label(o)))))
      : el("p", {}, t("Du stemmer ikke i denne voteringen.", "You do not vote in this vote.")),
  );
}

function renderResults() {
  const closed = Object.values(state.votes).filter((v) => v.state === "closed").slice(-3).reverse();
  $("results").replaceChildren(...closed.map((v) => el("div", { class: "result" },
    el("p", {}, `${voteTitle(v)}: `, resultSummary(v.result, proposalText, v.kind)),
    el("ul", { class: "result-details" }, ...resultDetails(v.result, reasonText).map((line) => el("li", {}, line))))));
}

function renderMembers() {
  if (!state) return;
  const now = Date.now();
  // Everyone the server states a presence fact for (meetings/presence.py): its words, not the page's.
  $("members").replaceChildren(...Object.entries(state.presence).map(([pid, fact]) => {
    const speaking = now - (talking.get(pid) || 0) < 1500;
    return el("li", { class: fact.sees_and_hears ? "ok" : "bad", "data-person": pid }, personName(pid), " ",
      el("span", { class: "status" }, presenceText(fact)),
      speaking ? el("span", { class: "talking" }, t(" snakker", " talking")) : "");
  }));
  $("my-presence").textContent = state.presence[me] ? `${t("Du", "You")}: ${presenceText(state.presence[me])}` : "";
  const item = state.current_item && state.items[state.current_item];
  const required = Number(root.dataset.quorumRequired);  // § 11-9 (1), from the server
  const throughout = item ? item.present_throughout.length : 0;
  $("quorum").textContent = !item ? "" : required
    ? t(`Beslutningsdyktighet: ${throughout} til stede gjennom saken, krav ${required}`, `Quorum: ${throughout} present throughout, ${required} required`)
    : t(`${throughout} til stede gjennom saken`, `${throughout} present throughout`);
}

function renderMyConflicts() {
  const mine = state.current_item ? conflicts.forItem(state.current_item).filter((e) => e.person === me) : [];
  $("my-conflicts").replaceChildren(...mine.map((e) => el("li", {}, (KINDS[e.kind] || (() => e.kind))(),
    e.ruling ? (e.ruling.recused ? t(": du fratrer", ": you step down") : t(": du deltar", ": you take part")) : t(": venter på avgjørelse", ": awaiting the ruling"))));
  $("declare-conflict").disabled = !state.current_item;
}

function renderWrittenBallot() {
  const item = state.current_item && state.items[state.current_item];
  $("demand-written").disabled = !item;
  const by = item?.written_demanded_by;
  $("written-status").textContent = by ? t(`Skriftlig valg er krevd av ${personName(by)}.`, `${personName(by)} has demanded a written ballot.`) : "";
}

// Member actions
$("join-meeting").onclick = () => send("member.join");
$("req-floor").onclick = () => send("floor.request", { kind: "speech" });
$("req-reply").onclick = () => send("floor.request", { kind: "reply" });
$("withdraw").onclick = () => send("floor.withdraw", { kind: "speech" });
// The server decides whether the body's rules of procedure allow it, and says why not.
$("demand-written").onclick = () => send("vote.demand_written", {}, "written-errors");
$("submit-proposal").onclick = async () => { if (await send("proposal.submit", { text: $("proposal-text").value })) $("proposal-text").value = ""; };
$("ask").onclick = async () => { if (await send("question.ask", { text: $("question-text").value })) $("question-text").value = ""; };
$("declare-conflict").onclick = async () => {
  if (!state?.current_item) return;
  const done = await send("conflict.declare", { item_id: Number(state.current_item), kind: $("declare-kind").value, reason: $("declare-reason").value });
  if (done) $("declare-reason").value = "";
};

// Media
const media = new MemberMedia(live, {
  iceServers: JSON.parse(root.dataset.ice || "[]"),
  onTrack: (track, transceiver) => {
    const player = track.kind === "video"
      ? el("video", { autoplay: true, playsinline: true, width: 320, height: 180 })
      : el("audio", { autoplay: true });
    player.srcObject = new MediaStream([track]);
    // Each receive slot is wrapped with a caption naming whose picture or voice the server points
    // it at (media.slots, by mid); audio slots are captioned for screen readers only.
    const node = el("figure", { class: `slot slot-${track.kind}`, "data-mid": transceiver?.mid || "" },
      player, el("figcaption", { class: track.kind === "audio" ? "visually-hidden" : "" }, ""));
    // A floor slot nobody is pointed at carries no packets (the track is muted): hide it rather
    // than show a black box; it reappears when the server points the slot at someone.
    node.hidden = track.muted;
    track.onmute = () => { node.hidden = true; };
    track.onunmute = () => { node.hidden = false; };
    $("floor-videos").append(node);
    labelSlots();
  },
  onReset: () => { $("floor-videos").replaceChildren(); slotPeople = {}; },
  onState: (s) => { $("conn-status").dataset.media = s; },
});
window.councilRoom = { live, media, folded };  // for the browser's console and the end-to-end tests

const check = new PreJoinCheck({ video: $("preview"), meter: $("mic-level"), status: $("check-status"),
  camera: $("camera"), microphone: $("microphone") });
check.start();
$("join-media").onclick = async () => {
  try {
    check.stop();  // the preview's devices released before the call opens them
    const stream = await media.start({ cameraId: $("camera").value, microphoneId: $("microphone").value });
    $("self-view").srcObject = stream;
    $("join-media").disabled = true;
    $("prejoin").hidden = true;
    $("camera-toggle").disabled = false;
    $("mute").disabled = false;
    $("audio-only").disabled = false;
  } catch (e) { showError(e); check.start(); }
};
$("mute").onclick = () => {
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  media.setMuted(muted);
  $("mute").setAttribute("aria-pressed", String(muted));
};
$("audio-only").onclick = async () => {
  const on = $("audio-only").getAttribute("aria-pressed") !== "true";
  try { await media.setAudioOnly(on); await send("member.audio_only", { on }); $("audio-only").setAttribute("aria-pressed", String(on)); } catch (e) { showError(e); }
};

setInterval(() => {  // the speaking-time timer, from the floor's start time and limit in the log
  if (!state || !state.floor) { $("timer").textContent = ""; return; }
  const left = Math.round(state.floor.limit - (Date.now() - Date.parse(state.floor.since)) / 1000);
  $("timer").textContent = left >= 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : t("Tiden er ute", "Time is up");
}, 1000);

// The current item's papers (agenda-data, from the view): public ones linked, exempt ones marked.
const agenda = json("agenda-data");
function renderPapers() {
  $("agenda").replaceChildren(...agenda.map((i) => el("li", i.id === state.current_item ? { "aria-current": "true" } : {},
    `${i.case_number} ${i.title}`)));
  const item = agenda.find((i) => i.id === state.current_item);
  $("papers").replaceChildren(...(item?.documents || []).map((d) => el("li", {},
    d.href ? el("a", { href: d.href }, d.title) : d.title, d.exemption_basis ? ` (${d.exemption_basis})` : "")));
}

$("camera-toggle").onclick = () => {
  const off = $("camera-toggle").getAttribute("aria-pressed") !== "true";
  for (const track of media.stream?.getVideoTracks() || []) track.enabled = !off;
  $("camera-toggle").setAttribute("aria-pressed", String(off));
};

// Leaving: every track stopped, the peer connection closed, the member registered as gone.
$("leave").onclick = async () => {
  media.stop();
  await send("member.leave");
  $("left").hidden = false;
  $("left-h").focus();
  $("join-media").disabled = false;
  $("prejoin").hidden = false;
  check.start();
  for (const id of ["mute", "camera-toggle", "audio-only"]) $(id).disabled = true;
};
$("rejoin").onclick = () => { $("left").hidden = true; $("join-media").focus(); };
