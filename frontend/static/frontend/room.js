// The member room and the chair console. The page renders the full live state (the same projection
// of the log the server keeps): loaded once on (re)connect, then kept current by folding each event's
// patch from the server (fold.js), so what it shows is always the log without a state read per event.
// The member's buttons follow the server's `state.allowed` (room_actions.js); the page decides no rule.
import { LiveSocket, el } from "./live.js";
import { FoldedState, coalesce } from "./fold.js";
import { gettext, interpolate } from "./i18n.js";
import { MemberMedia } from "./media.js";
import { PreJoinCheck, deviceProblem } from "./prejoin.js";
import { ballotView, resultDetails, resultSummary, tallyText, voteTitle } from "./votes.js";
import { presenceText, reasonText } from "./presence.js";
import { ConflictLog, KINDS } from "./conflicts.js";
import { RoomActions } from "./room_actions.js";
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
let ended = false;

const folded = new FoldedState({
  load: async () => live.request("state"),
  follows: (msg, seq) => msg.seq === seq + 1,  // the member socket carries every event of the log
  onChange: (s) => { state = s; scheduleRender(); },
});

const CONNECTION = {
  online: () => gettext("Connected"),
  offline: () => gettext("Disconnected – reconnecting …"),
  connecting: () => gettext("Connecting …"),
};

const live = new LiveSocket(`/ws/meetings/${meetingId}/`, {
  onEvent: (msg) => { if (conflicts.apply(msg)) scheduleRender(); folded.event(msg); },
  onStatus: (s, code) => {
    if (s === "refused") { showRefusal(code); return; }
    $("conn-status").textContent = CONNECTION[s]();
    if (s === "offline") { wasOffline = true; folded.disconnected(); }
    if (s !== "online") return;
    folded.reload();  // the whole state once per (re)connect; events after it arrive with their patches
    // The media worker keeps a member's call across socket drops; if the call did not survive
    // (server restart, network change), set it up again now that signalling is back.
    if (wasOffline && !ended) media.recover().catch((e) => showError(e));
    wasOffline = false;
  },
  onMessage: (msg) => {
    if (msg.type === "media.talking") { talking.set(String(msg.person), Date.now()); renderSpeaking(); }
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
    status.append(gettext("You are no longer logged in."), " ",
      el("a", { href: `/accounts/login/?next=${next}` }, gettext("Log in again")));
  } else if (code === 4403) {
    status.textContent = gettext("You have no access to this meeting.");
  } else {
    status.textContent = gettext("This meeting does not exist.");
  }
  media.stop();
}

// A failure with no button of its own (the call's set-up, the chair's list controls): in #errors,
// in the page's language, until dismissed.
function showError(e, near = "errors") {
  actions.clearRefusal(near);
  actions.showRefusal($(near) || $("errors"), e, near);
}

// The chair console's list controls send through here (chair.js speakerControls).
async function send(type, payload = {}, near = "errors") {
  try { return await live.request(type, payload); } catch (e) { showError(e, near); return null; }
}

// Whose media each receive slot carries, by mid, as the media server last said (media.slots).
let slotPeople = {};
const roster = json("roster-data");
const rosterBy = new Map(roster.map((m) => [m.id, m]));
const personName = (pid) => state?.attendance?.[pid]?.name || rosterBy.get(pid)?.name || state?.roster?.[pid]?.name || "";
const partyOf = (pid) => rosterBy.get(pid)?.party || state?.roster?.[pid]?.party || "";
const isTalking = (pid) => Date.now() - (talking.get(pid) || 0) < 1500;

// A picture's role in the meeting now, in words: the chair, the speaker (or a reply), a deputy.
function roleOf(pid) {
  const roles = [];
  if (state?.meeting?.chair === pid) roles.push(gettext("chair"));
  if (state?.floor?.person === pid) roles.push(state.floor.kind === "reply" ? gettext("reply") : gettext("has the floor"));
  if (!roles.length && state?.attendance?.[pid]?.role === "deputy") roles.push(gettext("deputy"));
  return roles.join(", ");
}

function caption(pid) {
  const party = partyOf(pid), role = roleOf(pid);
  return el("span", { class: "caption" }, el("strong", { class: "caption-name" }, personName(pid)),
    party ? el("span", { class: "caption-party" }, party) : "",
    role ? el("span", { class: "caption-role" }, role) : "",
    el("span", { class: "speaking-badge", hidden: true }, gettext("speaking")));
}

function labelSlots() {
  for (const node of $("floor-videos").querySelectorAll("figure[data-mid]")) {
    const pid = slotPeople[node.dataset.mid];
    const person = pid === null || pid === undefined ? "" : String(pid);
    node.dataset.person = person;
    node.querySelector("figcaption").replaceChildren(person ? caption(person) : "");
    const words = [personName(person), partyOf(person), roleOf(person)].filter(Boolean).join(", ");
    node.querySelector("video, audio").setAttribute("aria-label", person ? words : gettext("Idle"));
  }
  renderSpeaking();
}

// The speaking indicator, from the media server's talking messages (a voice heard in the last 1.5 s).
function renderSpeaking() {
  for (const node of document.querySelectorAll("#floor-videos figure[data-person], #self-tile")) {
    const pid = node.id === "self-tile" ? me : node.dataset.person;
    const speaking = Boolean(pid) && isTalking(pid);
    node.classList.toggle("speaking", speaking);
    const badge = node.querySelector(".speaking-badge");
    if (badge) badge.hidden = !speaking;
  }
  for (const li of document.querySelectorAll("#members li[data-person]")) {
    li.querySelector(".talking").hidden = !isTalking(li.dataset.person);
  }
}

const isChair = () => state && state.meeting.chair === me;
const proposalText = (id) => state.proposals[String(id)]?.text || null;
const groundLabel = (code) => grounds[code] || code;
const renderChair = $("chair") ? setupChair({ send, request: (type, payload) => live.request(type, payload),
  getState: () => state, getSeq: () => folded.seq, roster, conflicts }) : null;

const kindNote = (kind) => (kind === "reply" ? ` (${gettext("reply")})` : "");

function render() {
  if (!state) return;
  labelSlots();
  const item = state.current_item && state.items[state.current_item];
  $("current-item").textContent = item ? `${item.case_number} ${item.title}` : "–";
  $("speaker").textContent = state.floor ? `${state.floor.name}${kindNote(state.floor.kind)}` : "–";
  $("speakers").replaceChildren(...state.speakers.map((s, index) => el("li", {}, s.name, kindNote(s.kind),
    isChair() ? [" ", speakerControls({ send, state, index })] : "")));
  renderQueue();
  // Registering as present without the call (a member in the meeting room) is offered until present.
  $("join-meeting").closest(".control").hidden = Boolean(state.attendance[me]?.present);
  renderProposals();
  renderPapers();
  const doors = state.doors;
  $("doors-banner").hidden = !doors.closed;
  $("doors-banner").textContent = doors.closed ? interpolate(gettext(
    "The doors are closed (%(ground)s). The public cannot see or hear the meeting."), { ground: groundLabel(doors.ground) }, true) : "";
  const mine = state.presence[me];
  const degraded = Boolean(state.attendance[me]?.present && mine && !mine.sees_and_hears);
  $("degraded-banner").hidden = !degraded;
  $("degraded-banner").textContent = degraded ? interpolate(gettext(
    "You: %(reason)s. You do not count as present for the vote (Local Government Act § 11-7 (2))."),
  { reason: reasonText(mine.reason) }, true) : "";
  renderVote();
  renderResults();
  renderMembers();
  renderMyConflicts();
  renderWrittenBallot();
  if (renderChair) renderChair(state);
  if (state.meeting.state === "ended") endMeeting();
  actions.settle();
  actions.apply();
}

// The member's place on the speakers list, from the state's list (its order is the server's).
function renderQueue() {
  const at = state.speakers.findIndex((s) => s.person === me);
  let text = "";
  if (state.floor?.person === me) text = gettext("You have the floor.");
  else if (at >= 0) {
    text = interpolate(state.speakers[at].kind === "reply" ? gettext("You are number %(position)s in the speakers list (reply).")
      : gettext("You are number %(position)s in the speakers list."), { position: at + 1 }, true);
  }
  $("queue-pos").textContent = text;
  $("req-floor").classList.toggle("queued", at >= 0);
}

function renderProposals() {
  const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item);
  $("proposals").replaceChildren(...proposals.map((p) => el("li", { value: p.id }, `${p.text} – ${p.by_name}`,
    p.withdrawn ? ` (${gettext("withdrawn")})` : "",
    String(p.by) === me && !p.withdrawn ? [" ", el("button", { type: "button", class: "secondary withdraw-proposal",
      "data-command": "proposal.withdraw", "data-pending-key": `proposal.withdraw:${p.id}`,
      onclick: (e) => actions.act(e.currentTarget, "proposal.withdraw", { proposal: Number(p.id) }, $("proposal-errors")) },
    gettext("Withdraw the proposal"))] : "")));
}

// The ballot at the top of the page: the open vote, or the last one closed on the current item with
// its result, until the next vote or item.
let ballotShown = null;
let ballotDrawn = "";
function shownVote() {
  if (state.open_vote) return state.votes[state.open_vote];
  const closed = Object.values(state.votes).filter((v) => v.state === "closed");
  const last = closed[closed.length - 1];
  return last && last.item && last.item === state.current_item ? last : null;
}

function renderVote() {
  const vote = shownVote();
  const box = $("vote");
  box.hidden = !vote;
  if (!vote) { ballotShown = null; ballotDrawn = ""; $("ballot").replaceChildren(); return; }
  // Drawn again only when the member's ballot changes (not with every other member's ballot), so
  // that the focus stays on the choice a keyboard user is at; the tally is updated in place.
  const drawn = JSON.stringify([vote.vote, vote.state, vote.ballots[me] || null, vote.eligible.includes(me)]);
  if (drawn !== ballotDrawn) {
    ballotDrawn = drawn;
    $("ballot").replaceChildren(...ballotView({ vote, state, me, el, proposalText, reasonText,
      choose: (button, choice) => actions.act(button, "vote.cast", { vote: Number(vote.vote), choice }, $("vote-errors")) }));
  } else {
    const tally = $("ballot").querySelector(".ballot-tally");
    if (tally) tally.textContent = tallyText(vote);
  }
  box.dataset.state = vote.state;
  // A new vote the member may cast takes the focus (unless they are typing), so that it is in front
  // of them, and a screen reader reads it out.
  const key = `${vote.vote}:${vote.state}`;
  if (ballotShown !== key) {
    ballotShown = key;
    const typing = document.activeElement?.matches?.("input, textarea, select");
    if (vote.state === "open" && vote.eligible.includes(me) && !vote.ballots[me] && !typing) $("vote-h").focus();
  }
}

function renderResults() {
  const closed = Object.values(state.votes).filter((v) => v.state === "closed").slice(-3).reverse();
  $("results").replaceChildren(...closed.map((v) => el("div", { class: "result" },
    el("p", {}, `${voteTitle(v)}: `, resultSummary(v.result, proposalText, v.kind)),
    el("ul", { class: "result-details" }, ...resultDetails(v.result, reasonText).map((line) => el("li", {}, line))))));
}

function renderMembers() {
  // Everyone the server states a presence fact for (meetings/presence.py): its words, not the page's.
  $("members").replaceChildren(...Object.entries(state.presence).map(([pid, fact]) => el("li",
    { class: fact.sees_and_hears ? "ok" : "bad", "data-person": pid }, personName(pid), " ",
    el("span", { class: "status" }, presenceText(fact)),
    el("span", { class: "talking", hidden: !isTalking(pid) }, ` ${gettext("speaking")}`))));
  $("my-presence").textContent = state.presence[me] ? `${gettext("You")}: ${presenceText(state.presence[me])}` : "";
  const item = state.current_item && state.items[state.current_item];
  const required = Number(root.dataset.quorumRequired);  // § 11-9 (1), from the server
  const throughout = item ? item.present_throughout.length : 0;
  $("quorum").textContent = !item ? "" : required
    ? interpolate(gettext("Quorum: %(present)s present throughout, %(required)s required"), { present: throughout, required }, true)
    : interpolate(gettext("%(present)s present throughout"), { present: throughout }, true);
}

// The item a declaration is for: the current one, unless the member chose another.
let declareFor = null;
function renderMyConflicts() {
  if (!$("declare-item").options.length) {
    $("declare-item").replaceChildren(...agenda.map((i) => new Option(`${i.case_number} ${i.title}`, i.id)));
  }
  if (state.current_item && declareFor !== state.current_item) {
    declareFor = state.current_item;
    $("declare-item").value = state.current_item;
  }
  const mine = state.current_item ? conflicts.forItem(state.current_item).filter((e) => e.person === me) : [];
  $("my-conflicts").replaceChildren(...mine.map((e) => el("li", {}, (KINDS[e.kind] || (() => e.kind))(), ": ",
    e.ruling ? (e.ruling.recused ? gettext("you step down") : gettext("you take part")) : gettext("awaiting the ruling"))));
}

function renderWrittenBallot() {
  const item = state.current_item && state.items[state.current_item];
  const by = item?.written_demanded_by;
  $("written-status").textContent = by ? interpolate(gettext("%(name)s has demanded a written ballot."), { name: personName(by) }, true) : "";
}

// When the meeting ends: the call ends (every track stopped, the peer closed) and the page says the
// minutes are published, with the link.
function endMeeting() {
  if (ended) return;
  ended = true;
  check.stop();
  media.stop();
  $("self-view").srcObject = null;
  $("prejoin").hidden = true;
  $("left").hidden = true;
  $("ended").hidden = false;
  for (const id of ["join-media", "mute", "camera-toggle"]) $(id).disabled = true;
  $("ended-h").focus();
}

// Member actions: each button sends its command; the server decides and says why not.
const on = (id, fn) => { $(id).onclick = (e) => fn(e.currentTarget); };
on("join-meeting", (b) => actions.act(b, "member.join"));
on("req-floor", (b) => actions.act(b, "floor.request", { kind: "speech" }));
on("req-reply", (b) => actions.act(b, "floor.request", { kind: "reply" }));
on("withdraw", (b) => actions.act(b, "floor.withdraw", { kind: state?.speakers.find((s) => s.person === me)?.kind || "speech" }));
on("demand-written", (b) => actions.act(b, "vote.demand_written"));
on("submit-proposal", async (b) => {
  if (await actions.act(b, "proposal.submit", { text: $("proposal-text").value })) $("proposal-text").value = "";
});
on("ask", async (b) => { if (await actions.act(b, "question.ask", { text: $("question-text").value })) $("question-text").value = ""; });
on("declare-conflict", async (b) => {
  const payload = { item_id: Number($("declare-item").value), kind: $("declare-kind").value, reason: $("declare-reason").value };
  if (await actions.act(b, "conflict.declare", payload)) $("declare-reason").value = "";
});

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
  onState: (s) => {
    $("conn-status").dataset.media = s;
    $("media-progress").textContent = { new: gettext("Connecting your camera and microphone …"),
      connecting: gettext("Connecting your camera and microphone …"), connected: "",
      failed: gettext("The call could not be connected; trying again …"),
      disconnected: gettext("The call was interrupted; reconnecting …") }[s] ?? "";
  },
});
const actions = new RoomActions({
  request: (type, payload) => live.request(type, payload),
  getState: () => state, getSeq: () => folded.seq, root, skip: $("chair"),
  // Audio only changes the member's own call: it needs one.
  ready: (button) => button.dataset.needs !== "media" || Boolean(media.stream),
});
window.councilRoom = { live, media, folded };  // for the browser's console and the end-to-end tests

const check = new PreJoinCheck({ video: $("preview"), meter: $("mic-level"), status: $("check-status"),
  camera: $("camera"), microphone: $("microphone") });
check.start();
$("join-media").onclick = async () => {
  const button = $("join-media");
  actions.clearRefusal("join-media");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  $("media-progress").textContent = gettext("Connecting your camera and microphone …");
  try {
    check.stop();  // the preview's devices released before the call opens them
    const stream = await media.start({ cameraId: $("camera").value, microphoneId: $("microphone").value });
    $("self-view").srcObject = stream;
    $("prejoin").hidden = true;
    $("camera-toggle").disabled = false;
    $("mute").disabled = false;
    $("mute").focus();
    // Joining is one step for the member: the call, and being registered as present when not yet.
    if (!state?.attendance?.[me]?.present) await actions.act($("join-meeting"), "member.join");
  } catch (e) {
    media.stop();
    button.disabled = false;
    $("media-progress").textContent = "";
    // Beside the button, in words: the devices' problem as the pre-join check says it, or the server's.
    actions.clearRefusal("join-media");
    actions.showRefusal(button.closest(".control"), e instanceof DOMException ? { message: deviceProblem(e) } : e, "join-media");
    check.start();
  } finally {
    button.removeAttribute("aria-busy");
    actions.apply();
  }
};
$("mute").onclick = () => {
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  media.setMuted(muted);
  $("mute").setAttribute("aria-pressed", String(muted));
};
$("audio-only").onclick = async () => {
  const button = $("audio-only");
  const want = button.getAttribute("aria-pressed") !== "true";
  try { await media.setAudioOnly(want); } catch (e) { showError(e); return; }
  if (await actions.act(button, "member.audio_only", { on: want })) button.setAttribute("aria-pressed", String(want));
};

setInterval(() => {  // the speaking-time timer, from the floor's start time and limit in the log
  renderSpeaking();
  if (!state || !state.floor) { $("timer").textContent = ""; return; }
  const left = Math.round(state.floor.limit - (Date.now() - Date.parse(state.floor.since)) / 1000);
  $("timer").textContent = left >= 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : gettext("Time is up");
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
on("leave", async (b) => {
  media.stop();
  $("self-view").srcObject = null;
  await actions.act(b, "member.leave");
  if (ended) return;
  $("left").hidden = false;
  $("left-h").focus();
  $("join-media").disabled = false;
  $("prejoin").hidden = false;
  check.start();
  for (const id of ["mute", "camera-toggle"]) $(id).disabled = true;
  actions.apply();
});
$("rejoin").onclick = () => { $("left").hidden = true; $("join-media").focus(); };
