// The chair's console: roll call, the speakers list, votes (with the quorum and see-and-hear checks
// first), closing the doors and conflict-of-interest rulings. Every button sends one command of
// meetings/commands.py over the member socket; what the page shows comes back from the log.
// Who sees and hears is the server's fact (state.presence, meetings/presence.py), and so is which
// commands the chair may send now (state.allowed, meetings/allowed.py): a button is enabled only for
// a command in it, so the console keeps no procedural rule of its own. A button waits (disabled,
// aria-busy) for the server's answer; a refusal stays beside it, in the page's language, until dismissed.
// The floor and speakers list live in chair_speakers.js, the doors' four steps in chair_doors.js; once
// the meeting has ended the console says so, with the published minutes' link (state.minutes).
import { el } from "./live.js";
import { confirmDialog } from "./confirm.js";
import { describe } from "./conflicts.js";
import { errorText } from "./errors.js";
import { gettext, interpolate } from "./i18n.js";
import { presenceText, reasonText } from "./presence.js";
import { setupSpeakers } from "./chair_speakers.js";
import { setupDoors } from "./chair_doors.js";
import { allows } from "./room_actions.js";

const $ = (id) => document.getElementById(id);
const VOTING_ROLES = new Set(["member", "chair", "deputy_chair", "deputy"]);
const ROUND_KINDS = new Set(["election", "appointment"]);

// Present voters the server says do not see and hear the meeting, with its reason: § 11-7 (2) says
// they are not present for the vote, so the chair is told before opening one.
export function cannotSeeOrHear(state) {
  return Object.entries(state.attendance).filter(([pid, a]) => a.present && VOTING_ROLES.has(a.role)
    && state.presence?.[pid]?.sees_and_hears === false)
    .map(([pid, a]) => ({ id: pid, name: a.name, reason: state.presence[pid].reason }));
}

const described = (p) => `${p.name} (${reasonText(p.reason)})`;

const commandOf = (button) => button.dataset.cmd || button.dataset.command;

// Buttons sent and not yet answered: they stay disabled and aria-busy until the error, or until the
// state the page holds has folded in the events of the ack (its seq): the ack overtakes its events.
const pending = new Set();
const awaiting = new Map();  // button -> the seq of its ack

function busy(button, on) {
  if (on) { pending.add(button); button.setAttribute("aria-busy", "true"); button.disabled = true; } else {
    pending.delete(button);
    button.removeAttribute("aria-busy");
  }
}

// The refusal beside the control that caused it (`near`, default the button itself), until dismissed.
function showRefusal(button, error, near, key) {
  const holder = near === button ? button.parentElement : near;
  holder.querySelector(`:scope > .action-error[data-for="${CSS.escape(key)}"]`)?.remove();
  const box = el("span", { class: "action-error error", role: "alert", "data-for": key, "data-code": error?.code || "" },
    errorText(error), " ",
    el("button", { type: "button", class: "dismiss secondary", "aria-label": gettext("Dismiss the message"),
                   onclick: () => box.remove() }, "×"));
  if (near === button) button.after(box); else near.append(box);
}

// Every action button of the console (the fixed ones name their command in data-cmd or data-command)
// is enabled exactly when the server lists its command in state.allowed and no answer is awaited.
// Once the meeting has ended the console's panels are closed (their fieldsets disabled): what the
// server still accepts then (records such as an absence) belongs to the clerk's pages.
export function applyAllowed(state, root = document.getElementById("chair")) {
  if (!root) return;
  for (const button of root.querySelectorAll("button[data-cmd], button[data-command]")) {
    button.disabled = pending.has(button) || !allows(state, commandOf(button));
  }
  const ended = state?.meeting?.state === "ended";
  for (const panel of root.querySelectorAll(":scope > .chair-panels > fieldset")) panel.disabled = ended;
  // Closed panels hold nothing to focus, so they do not scroll inside themselves (keyboard users could not).
  root.querySelector(".chair-panels")?.classList.toggle("closed", ended);
}

// "Meeting ended — minutes published" with the link, from the server's facts (state.minutes).
function renderEnded(state) {
  const box = $("chair-ended");
  const ended = state.meeting.state === "ended";
  const wasHidden = box.hidden;
  box.hidden = !ended;
  if (!ended) return;
  const published = Boolean(state.minutes?.published);
  $("chair-ended-text").textContent = published ? gettext("Meeting ended — minutes published")
    : gettext("Meeting ended — the minutes are published when the review period is over");
  $("chair-minutes-link").hidden = !published;
  if (wasHidden) $("chair-ended-text").focus();
}

// The quorum now (§ 11-9 (1)) as the server states it (state.quorum, meetings/quorum.py).
function renderQuorum(state) {
  const quorum = state.quorum;
  const line = $("chair-quorum");
  if (!quorum || !quorum.required) { line.textContent = ""; return; }
  line.textContent = interpolate(gettext("%(present)s present who see and hear, %(required)s required (Local Government Act § 11-9 (1))."),
    quorum, true) + (quorum.met ? "" : ` ${gettext("Too few present for a quorum")}.`);
  line.classList.toggle("warning", !quorum.met);
}

export function setupChair({ request, getState, getSeq, roster, conflicts }) {
  const on = (id, fn) => { $(id).onclick = fn; };
  const settle = () => {
    for (const [button, seq] of awaiting) {
      if (getSeq() !== null && seq <= getSeq()) { awaiting.delete(button); busy(button, false); }
    }
  };
  let renderDoors = null;
  // Send one command for `button`: pending until answered; a refusal shown beside it (or in `near`).
  async function act(button, type, payload = {}, near = button) {
    busy(button, true);
    try {
      const reply = await request(type, payload);
      awaiting.set(button, reply.seq ?? 0);
      settle();
      return reply;
    } catch (e) {
      busy(button, false);
      showRefusal(button, e, near, type);
      return null;
    } finally {
      applyAllowed(getState());
      renderDoors?.(getState(), pending);
    }
  }
  const rowAct = (type, payload) => (e) => act(e.currentTarget, type, payload, $("roll-call-errors"));
  const renderSpeakers = setupSpeakers({ act, allows, getState });
  for (const button of document.querySelectorAll("#chair [data-cmd]")) button.onclick = () => act(button, button.dataset.cmd);

  // § 11-9 (1): too few present who see and hear for a quorum (state.quorum, meetings/quorum.py);
  // the chair is told before a vote opens or closes and may go on (the result will say so).
  async function quorumConfirmed(step) {
    const quorum = getState().quorum;
    if (!quorum || quorum.met) return true;
    return confirmDialog({
      title: gettext("Too few present for a quorum"),
      lines: [interpolate(gettext("%(present)s present who see and hear, %(required)s required (Local Government Act § 11-9 (1))."),
        quorum, true),
      gettext("Without a quorum the vote makes no valid decision.")],
      confirm: step === "open" ? gettext("Open the vote anyway") : gettext("Close the vote anyway"),
    });
  }

  async function afterSeeHearCheck(open) {
    const problems = cannotSeeOrHear(getState());
    if (problems.length && !await confirmDialog({
      title: gettext("Not everyone can see and hear the meeting"),
      lines: [...problems.map(described),
        gettext("They do not count as present for the vote (Local Government Act § 11-7 (2)).")],
      confirm: gettext("Open the vote anyway"),
    })) return;
    await open();
  }

  on("open-item", (e) => act(e.currentTarget, "item.open", { item_id: Number($("item-select").value) }));
  on("close-item", (e) => getState().current_item && act(e.currentTarget, "item.close", { item_id: Number(getState().current_item) }));
  on("grant-next", (e) => act(e.currentTarget, "floor.grant", {}));
  on("open-vote", async (e) => {
    const button = e.currentTarget;
    if (!await quorumConfirmed("open")) return;
    await afterSeeHearCheck(() => {
      const kind = $("vote-kind").value;
      const proposals = [...document.querySelectorAll(".vote-proposal:checked")].map((c) => Number(c.value));
      const candidates = $("candidates").value.split(",").map((c) => c.trim()).filter(Boolean);
      // Decisions and budget votes are on the checked proposals (a budget vote on each as a whole,
      // § 11-9 (3)); elections and appointments are between the named candidates. Whether a written
      // ballot may be held is the server's to say (it refuses with the reason, shown by the button).
      if (kind === "ordinary") return act(button, "vote.open", { proposals });
      if (kind === "budget") return act(button, "vote.open", { kind, proposals });
      const office = kind === "election" ? $("office").value : "";
      return act(button, "vote.open", { kind, candidates, written: $("written").checked, office });
    });
  });
  const showRoundOptions = () => {
    const kind = $("vote-kind").value;
    $("round-options").hidden = !ROUND_KINDS.has(kind);
    $("office-field").hidden = kind !== "election";
  };
  $("vote-kind").onchange = showRoundOptions;
  showRoundOptions();
  on("close-vote", async (e) => {
    const button = e.currentTarget;
    if (!getState().open_vote || !await quorumConfirmed("close")) return;
    await act(button, "vote.close", { vote: Number(getState().open_vote) });
  });
  on("doors-motion", (e) => act(e.currentTarget, "doors.motion", { ground: $("ground").value }));
  renderDoors = setupDoors({ act, allows, getState, grounds: JSON.parse($("grounds-data").textContent),
    quorumConfirmed, afterSeeHearCheck });
  on("rule-conflict", (e) => act(e.currentTarget, "conflict.rule", {
    item_id: Number(getState().current_item), person_id: Number($("conflict-member").value),
    recused: $("conflict-recused").checked, legal_basis: $("conflict-basis").value, kind: $("conflict-kind").value }));
  $("conflict-kind").onchange = () => {
    $("conflict-basis").value = $("conflict-kind").value === "personal_exemption"
      ? "kommuneloven § 11-11" : "forvaltningsloven § 6 første ledd bokstav ";
  };

  // One cell of the roll call: name, party, present / absent / deputy, and whether the server says
  // the person sees and hears (state.presence, with its reason when not).
  function rollCallCell(m, state) {
    const { id, name } = m;
    const att = state.attendance[id];
    const absent = state.absent[id];
    const party = state.roster?.[id]?.party || m.party || "";
    const deputyFor = att?.substitute_for && (state.attendance[att.substitute_for]?.name
      || state.roster?.[att.substitute_for]?.name || roster.find((r) => r.id === att.substitute_for)?.name);
    const deputyName = absent?.deputy && (state.attendance[absent.deputy]?.name || state.roster?.[absent.deputy]?.name);
    const status = att?.present ? (deputyFor ? interpolate(gettext("deputy for %(name)s"), { name: deputyFor }, true) : gettext("present"))
      : absent ? [absent.reason ? interpolate(gettext("absent: %(reason)s"), absent, true) : gettext("absent"),
        deputyName ? ` · ${interpolate(gettext("deputy: %(name)s"), { name: deputyName }, true)}` : ""].join("")
        : gettext("not registered");
    const fact = state.presence?.[id];
    const inRoom = Boolean(att?.in_room);
    const kind = att?.present ? "is-present" : absent ? "is-absent" : "is-unknown";
    return el("li", { "data-person": id, class: `roll-cell ${kind}` },
      el("span", { class: "who" }, el("strong", { class: "name" }, name), party ? el("span", { class: "party" }, ` (${party})`) : ""),
      el("span", { class: "status" }, status),
      el("span", { class: fact?.sees_and_hears ? "presence ok" : "presence bad" }, presenceText(fact)),
      el("span", { class: "cell-actions" },
        el("button", { type: "button", class: "mark-present", disabled: Boolean(att?.present) || !allows(state, "roll_call"),
                       "aria-label": interpolate(gettext("%(name)s is present"), { name }, true),
                       onclick: rowAct("roll_call", { present: [Number(id)] }) }, gettext("Present")),
        // A member sitting in the meeting room counts without media (a hybrid meeting).
        el("button", { type: "button", class: "in-room secondary", disabled: !att?.present || !allows(state, "member.in_room"),
                       "aria-pressed": String(inRoom), "aria-label": interpolate(gettext("In the room: %(name)s"), { name }, true),
                       onclick: rowAct("member.in_room", { person_id: Number(id), in_room: !inRoom }) },
          gettext("In the room")),
        el("button", { type: "button", class: "mark-absent secondary",
                       disabled: Boolean(att?.present || absent) || !allows(state, "absence.register"),
                       "aria-label": interpolate(gettext("%(name)s is absent"), { name }, true),
                       onclick: (e) => act(e.currentTarget, "absence.register", { person_id: Number(id), reason: $("absent-reason").value },
                         $("roll-call-errors")) },
          gettext("Absent")),
        absent && !absent.deputy ? el("button", { type: "button", class: "secondary summon", disabled: !allows(state, "deputy.summon"),
          "aria-label": interpolate(gettext("Summon a deputy for %(name)s"), { name }, true),
          onclick: rowAct("deputy.summon", { for_member_id: Number(id) }) }, gettext("Summon deputy")) : ""));
  }

  function renderRollCall(state) {
    const seated = roster.filter((m) => VOTING_ROLES.has(m.role) && m.role !== "deputy");
    const known = new Set(seated.map((m) => m.id));
    const deputies = Object.entries(state.attendance).filter(([id]) => !known.has(id)
      && VOTING_ROLES.has(state.attendance[id].role)).map(([id, a]) => ({ id, name: a.name }));
    $("roll-call").replaceChildren(...[...seated, ...deputies].map((m) => rollCallCell(m, state)));
  }

  function renderConflicts(state) {
    const entries = state.current_item ? conflicts.forItem(state.current_item) : [];
    $("conflicts").replaceChildren(...entries.map((e) => el("li", {}, describe(e))));
    $("conflicts-empty").hidden = entries.length > 0;
  }

  return function render(state) {
    const problems = cannotSeeOrHear(state);
    $("warnings").hidden = problems.length === 0;
    $("warnings").textContent = problems.length ? gettext("Cannot see/hear: ") + problems.map(described).join(", ") : "";
    const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item && !p.withdrawn);
    $("vote-proposals").replaceChildren(...proposals.map((p) => el("label", {},
      el("input", { type: "checkbox", value: p.id, class: "vote-proposal" }), ` ${interpolate(gettext("Proposal %(id)s"), p, true)}: ${p.text}`)));
    renderRollCall(state);
    renderSpeakers(state);
    renderConflicts(state);
    renderQuorum(state);
    renderEnded(state);
    settle();
    applyAllowed(state);
    renderDoors(state, pending);
  };
}

// The member room's speakers list carries no controls for the chair: they are in the console's own
// list (chair_speakers.js), next to the floor and its timer. Kept so room.js's call stays valid.
export function speakerControls() {
  return "";
}
