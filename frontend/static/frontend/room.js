// The member room and the chair console. The page re-renders from the full live state (the same
// projection of the log the server keeps) after every event, so what it shows is always the log.
import { LiveSocket, debounce, el, t } from "./live.js";
import { MemberMedia } from "./media.js";
import { optionLabel, resultSummary, voteTitle } from "./votes.js";

const root = document.getElementById("room");
const meetingId = Number(root.dataset.meeting);
const me = String(root.dataset.person);
const $ = (id) => document.getElementById(id);
let state = null;
let talking = new Map();

const live = new LiveSocket(`/ws/meetings/${meetingId}/`, {
  onEvent: () => refresh(),
  onStatus: (s) => {
    $("conn-status").textContent = { online: t("Tilkoblet", "Connected"), offline: t("Frakoblet – kobler til igjen …", "Disconnected – reconnecting …"), connecting: t("Kobler til …", "Connecting …") }[s];
    if (s === "online") refresh();
  },
  onMessage: (msg) => {
    if (msg.type === "media.talking") { talking.set(String(msg.person), Date.now()); renderMembers(); }
  },
});

const refresh = debounce(async () => {
  try {
    state = (await live.request("state")).state;
    render();
  } catch (e) { /* reconnecting */ }
}, 80);

function showError(e) {
  $("errors").textContent = e.message || String(e);
  setTimeout(() => { $("errors").textContent = ""; }, 8000);
}

async function send(type, payload = {}) {
  try { return await live.request(type, payload); } catch (e) { showError(e); return null; }
}

function render() {
  if (!state) return;
  const item = state.current_item && state.items[state.current_item];
  $("current-item").textContent = item ? `${item.case_number} ${item.title}` : "–";
  $("speaker").textContent = state.floor ? `${state.floor.name}${state.floor.kind === "reply" ? t(" (replikk)", " (reply)") : ""}` : "–";
  $("speakers").replaceChildren(...state.speakers.map((s) => el("li", {}, s.name, s.kind === "reply" ? t(" (replikk)", " (reply)") : "",
    isChair() ? el("button", { type: "button", onclick: () => send("floor.grant", { person_id: Number(s.person) }) }, t("Gi ordet", "Give the floor")) : "")));
  const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item);
  $("proposals").replaceChildren(...proposals.map((p) => el("li", { value: p.id }, `${p.text} – ${p.by_name}`, p.withdrawn ? t(" (trukket)", " (withdrawn)") : "")));
  const doors = state.doors;
  $("doors-banner").hidden = !doors.closed;
  $("doors-banner").textContent = doors.closed ? t(`Dørene er lukket (${doors.ground}). Publikum ser og hører ikke møtet.`, `The doors are closed (${doors.ground}). The public cannot see or hear the meeting.`) : "";
  const mine = state.attendance[me];
  const degraded = mine && (mine.audio_only || !mine.media.receives || !mine.media.sends_audio);
  $("degraded-banner").hidden = !degraded;
  $("degraded-banner").textContent = degraded ? t("Du er på bare lyd eller har dårlig forbindelse: du regnes ikke som til stede i voteringen før bilde og lyd er tilbake.", "You are on audio only or have a poor connection: you do not count as present for the vote until picture and sound are back.") : "";
  renderVote();
  renderResults();
  renderMembers();
  renderChair();
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
  $("results").replaceChildren(...closed.map((v) => el("p", {}, `${voteTitle(v)}: `, resultSummary(v.result, proposalText))));
}

const proposalText = (id) => state.proposals[String(id)]?.text || null;

function renderMembers() {
  if (!state) return;
  const now = Date.now();
  const people = Object.entries(state.attendance).filter(([, a]) => a.present);
  $("members").replaceChildren(...people.map(([pid, a]) => {
    const ok = a.media.sends_audio && a.media.receives && (a.media.sends_video && !a.audio_only);
    const speaking = now - (talking.get(pid) || 0) < 1500;
    return el("li", { class: ok ? "ok" : "bad" }, a.name, " ",
      el("span", { class: "status" }, ok ? t("ser og hører", "sees and hears") : t("mangler bilde/lyd", "picture/sound missing")),
      speaking ? el("span", { class: "talking" }, t(" snakker", " talking")) : "");
  }));
  const item = state.current_item && state.items[state.current_item];
  const required = Math.ceil(state.meeting.seats / 2);
  $("quorum").textContent = item ? t(`Beslutningsdyktighet: ${item.present_throughout.length} til stede gjennom saken, krav ${required}`, `Quorum: ${item.present_throughout.length} present throughout, ${required} required`) : "";
}

const isChair = () => state && state.meeting.chair === me;

function renderChair() {
  const box = $("chair");
  if (!box) return;
  const problems = Object.values(state.attendance).filter((a) => a.present && a.role !== "clerk" && !(a.media.sends_audio && a.media.receives && a.media.sends_video && !a.audio_only));
  $("warnings").hidden = problems.length === 0;
  $("warnings").textContent = problems.length ? t("Ser/hører ikke: ", "Cannot see/hear: ") + problems.map((a) => a.name).join(", ") : "";
  const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item && !p.withdrawn);
  $("vote-proposals").replaceChildren(...proposals.map((p) => el("label", {}, el("input", { type: "checkbox", value: p.id, class: "vote-proposal" }), ` ${p.id}: ${p.text}`)));
}

// Member actions
$("join-meeting").onclick = () => send("member.join");
$("req-floor").onclick = () => send("floor.request", { kind: "speech" });
$("req-reply").onclick = () => send("floor.request", { kind: "reply" });
$("withdraw").onclick = () => send("floor.withdraw", { kind: "speech" });
$("submit-proposal").onclick = async () => { if (await send("proposal.submit", { text: $("proposal-text").value })) $("proposal-text").value = ""; };
$("ask").onclick = async () => { if (await send("question.ask", { text: $("question-text").value })) $("question-text").value = ""; };

// The chair's console
for (const button of document.querySelectorAll("[data-cmd]")) button.onclick = () => send(button.dataset.cmd);
const on = (id, fn) => { const node = $(id); if (node) node.onclick = fn; };
on("open-item", () => send("item.open", { item_id: Number($("item-select").value) }));
on("close-item", () => state.current_item && send("item.close", { item_id: Number(state.current_item) }));
on("grant-next", () => send("floor.grant", {}));
on("open-vote", () => {
  const kind = $("vote-kind").value;
  const proposals = [...document.querySelectorAll(".vote-proposal:checked")].map((c) => Number(c.value));
  const candidates = $("candidates").value.split(",").map((c) => c.trim()).filter(Boolean);
  send("vote.open", kind === "ordinary" ? { proposals } : { kind, candidates });
});
on("close-vote", () => state.open_vote && send("vote.close", { vote: Number(state.open_vote) }));
on("doors-motion", () => send("doors.motion", { ground: $("ground").value }));
on("closure-vote", () => send("vote.open", { kind: "closure" }));
on("register-absence", () => send("absence.register", { person_id: Number($("absent-member").value), reason: $("absent-reason").value }));
on("summon-deputy", () => send("deputy.summon", { for_member_id: Number($("absent-member").value) }));
on("rule-conflict", () => send("conflict.rule", { item_id: Number(state.current_item), person_id: Number($("conflict-member").value), recused: $("conflict-recused").checked, legal_basis: $("conflict-basis").value }));

// Media
const media = new MemberMedia(live, {
  iceServers: JSON.parse(root.dataset.ice || "[]"),
  onTrack: (track) => {
    const node = track.kind === "video" ? el("video", { autoplay: true, playsinline: true, width: 320, height: 180, "aria-label": t("Taler eller møteleder", "Speaker or chair") }) : el("audio", { autoplay: true });
    node.srcObject = new MediaStream([track]);
    $("floor-videos").append(node);
  },
  onState: (s) => { $("conn-status").dataset.media = s; },
});
async function listDevices() {
  try {
    const { cameras, microphones } = await MemberMedia.devices();
    $("camera").replaceChildren(...cameras.map((d, i) => el("option", { value: d.deviceId }, d.label || `${t("Kamera", "Camera")} ${i + 1}`)));
    $("microphone").replaceChildren(...microphones.map((d, i) => el("option", { value: d.deviceId }, d.label || `${t("Mikrofon", "Microphone")} ${i + 1}`)));
  } catch (e) { /* no devices */ }
}
listDevices();
$("join-media").onclick = async () => {
  try {
    const stream = await media.start({ cameraId: $("camera").value, microphoneId: $("microphone").value });
    $("self-view").srcObject = stream;
    $("join-media").disabled = true;
    $("mute").disabled = false;
    $("audio-only").disabled = false;
  } catch (e) { showError(e); }
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
