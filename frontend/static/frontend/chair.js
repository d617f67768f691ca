// The chair's console: roll call, the speakers list, votes (with the see-and-hear check first),
// closing the doors and conflict-of-interest rulings. Every button sends one command of
// meetings/commands.py over the member socket; what the page shows comes back from the log.
// Who sees and hears is the server's fact (state.presence, meetings/presence.py); the console shows it.
import { el, t } from "./live.js";
import { confirmDialog } from "./confirm.js";
import { describe } from "./conflicts.js";
import { presenceText, reasonText } from "./presence.js";

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

export function setupChair({ send, getState, roster, conflicts }) {
  const on = (id, fn) => { $(id).onclick = fn; };
  for (const button of document.querySelectorAll("[data-cmd]")) button.onclick = () => send(button.dataset.cmd);

  async function afterSeeHearCheck(open) {
    const problems = cannotSeeOrHear(getState());
    if (problems.length && !await confirmDialog({
      title: t("Ikke alle ser og hører møtet", "Not everyone can see and hear the meeting"),
      lines: [...problems.map(described),
        t("De regnes ikke som til stede i voteringen (kommuneloven § 11-7 andre ledd).",
          "They do not count as present for the vote (Local Government Act § 11-7 (2)).")],
      confirm: t("Åpne voteringen likevel", "Open the vote anyway"),
    })) return;
    await open();
  }

  on("open-item", () => send("item.open", { item_id: Number($("item-select").value) }));
  on("close-item", () => getState().current_item && send("item.close", { item_id: Number(getState().current_item) }));
  on("grant-next", () => send("floor.grant", {}));
  on("open-vote", () => afterSeeHearCheck(() => {
    const kind = $("vote-kind").value;
    const proposals = [...document.querySelectorAll(".vote-proposal:checked")].map((c) => Number(c.value));
    const candidates = $("candidates").value.split(",").map((c) => c.trim()).filter(Boolean);
    // Decisions and budget votes are on the checked proposals (a budget vote on each as a whole,
    // § 11-9 (3)); elections and appointments are between the named candidates. Whether a written
    // ballot may be held is the server's to say (it refuses with the reason, shown by the button).
    if (kind === "ordinary") return send("vote.open", { proposals }, "vote-errors");
    if (kind === "budget") return send("vote.open", { kind, proposals }, "vote-errors");
    const office = kind === "election" ? $("office").value : "";
    return send("vote.open", { kind, candidates, written: $("written").checked, office }, "vote-errors");
  }));
  const showRoundOptions = () => {
    const kind = $("vote-kind").value;
    $("round-options").hidden = !ROUND_KINDS.has(kind);
    $("office-field").hidden = kind !== "election";
  };
  $("vote-kind").onchange = showRoundOptions;
  showRoundOptions();
  on("close-vote", () => getState().open_vote && send("vote.close", { vote: Number(getState().open_vote) }, "vote-errors"));
  on("doors-motion", () => send("doors.motion", { ground: $("ground").value }));
  on("closure-vote", () => afterSeeHearCheck(() => send("vote.open", { kind: "closure" })));
  on("rule-conflict", () => send("conflict.rule", {
    item_id: Number(getState().current_item), person_id: Number($("conflict-member").value),
    recused: $("conflict-recused").checked, legal_basis: $("conflict-basis").value, kind: $("conflict-kind").value }));
  $("conflict-kind").onchange = () => {
    $("conflict-basis").value = $("conflict-kind").value === "personal_exemption"
      ? "kommuneloven § 11-11" : "forvaltningsloven § 6 første ledd bokstav ";
  };

  function rollCallRow(id, name, state) {
    const att = state.attendance[id];
    const absent = state.absent[id];
    const status = att?.present ? t("til stede", "present")
      : absent ? t(`forfall${absent.reason ? `: ${absent.reason}` : ""}`, `absent${absent.reason ? `: ${absent.reason}` : ""}`)
        : t("ikke registrert", "not registered");
    const who = { "data-person": id };
    const fact = state.presence?.[id];
    const inRoom = Boolean(att?.in_room);
    return el("tr", who, el("th", { scope: "row" }, name), el("td", { class: "status" }, status),
      el("td", { class: fact?.sees_and_hears ? "presence ok" : "presence bad" }, presenceText(fact)),
      el("td", {},
        el("button", { type: "button", class: "mark-present", disabled: Boolean(att?.present),
                       "aria-label": t(`${name} er til stede`, `${name} is present`),
                       onclick: () => send("roll_call", { present: [Number(id)] }, "roll-call-errors") }, t("Til stede", "Present")),
        " ",
        // A member sitting in the meeting room counts without media (a hybrid meeting).
        el("button", { type: "button", class: "in-room secondary", disabled: !att?.present, "aria-pressed": String(inRoom),
                       "aria-label": t(`I salen: ${name}`, `In the room: ${name}`),
                       onclick: () => send("member.in_room", { person_id: Number(id), in_room: !inRoom }, "roll-call-errors") },
          t("I salen", "In the room")),
        " ",
        el("button", { type: "button", class: "mark-absent secondary", disabled: Boolean(att?.present || absent),
                       "aria-label": t(`${name} har forfall`, `${name} is absent`),
                       onclick: () => send("absence.register", { person_id: Number(id), reason: $("absent-reason").value }, "roll-call-errors") },
          t("Forfall", "Absent")),
        absent && !absent.deputy ? el("button", { type: "button", class: "secondary",
          onclick: () => send("deputy.summon", { for_member_id: Number(id) }, "roll-call-errors") }, t("Kall inn vara", "Summon deputy")) : ""));
  }

  function renderRollCall(state) {
    const seated = roster.filter((m) => VOTING_ROLES.has(m.role) && m.role !== "deputy");
    const known = new Set(seated.map((m) => m.id));
    const deputies = Object.entries(state.attendance).filter(([id]) => !known.has(id)
      && VOTING_ROLES.has(state.attendance[id].role)).map(([id, a]) => ({ id, name: a.name }));
    $("roll-call").replaceChildren(...[...seated, ...deputies].map((m) => rollCallRow(m.id, m.name, state)));
  }

  function renderConflicts(state) {
    const entries = state.current_item ? conflicts.forItem(state.current_item) : [];
    $("conflicts").replaceChildren(...entries.map((e) => el("li", {}, describe(e))));
    $("conflicts-empty").hidden = entries.length > 0;
  }

  return function render(state) {
    const problems = cannotSeeOrHear(state);
    $("warnings").hidden = problems.length === 0;
    $("warnings").textContent = problems.length ? t("Ser/hører ikke: ", "Cannot see/hear: ") + problems.map(described).join(", ") : "";
    const proposals = Object.values(state.proposals).filter((p) => p.item === state.current_item && !p.withdrawn);
    $("vote-proposals").replaceChildren(...proposals.map((p) => el("label", {},
      el("input", { type: "checkbox", value: p.id, class: "vote-proposal" }), ` ${t("Forslag", "Proposal")} ${p.id}: ${p.text}`)));
    renderRollCall(state);
    renderConflicts(state);
  };
}

// The chair's controls on one speakers-list entry: give the floor, move up or down, remove.
export function speakerControls({ send, state, index }) {
  const list = state.speakers;
  const entry = list[index];
  const move = (to) => {
    const order = list.map((s) => ({ person: Number(s.person), kind: s.kind }));
    [order[index], order[to]] = [order[to], order[index]];
    send("speakers.reorder", { order });
  };
  const name = entry.name;
  return el("span", { class: "speaker-controls" },
    el("button", { type: "button", onclick: () => send("floor.grant", { person_id: Number(entry.person) }) }, t("Gi ordet", "Give the floor")),
    el("button", { type: "button", class: "secondary", disabled: index === 0, "aria-label": t(`Flytt ${name} opp`, `Move ${name} up`),
                   onclick: () => move(index - 1) }, "↑"),
    el("button", { type: "button", class: "secondary", disabled: index === list.length - 1, "aria-label": t(`Flytt ${name} ned`, `Move ${name} down`),
                   onclick: () => move(index + 1) }, "↓"),
    el("button", { type: "button", class: "secondary", "aria-label": t(`Fjern ${name} fra talerlisten`, `Remove ${name} from the speakers list`),
                   onclick: () => send("floor.withdraw", { person_id: Number(entry.person), kind: entry.kind }) }, t("Fjern", "Remove")));
}
