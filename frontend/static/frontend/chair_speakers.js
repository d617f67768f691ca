// The chair's speakers list and the floor in the console: who speaks, their time left, and the list
// the chair may reorder by pointer (drag an entry onto another), by keyboard (the ↑/↓ buttons, or
// Alt+Arrow on an entry) and give the floor from. Every change is one `speakers.reorder` with the
// whole new order (docs/protocol.md); the list shown is always the server's, folded from the log.
import { el } from "./live.js";
import { gettext, interpolate } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const keyOf = (s) => `${s.person}:${s.kind}`;

// The order after moving entry `from` to position `to`, as the command's payload wants it.
export function movedOrder(list, from, to) {
  const order = list.map((s) => ({ person: Number(s.person), kind: s.kind }));
  const [entry] = order.splice(from, 1);
  order.splice(to, 0, entry);
  return order;
}

// Seconds left of the speech from the log's start time and limit (as the member room's timer), in words.
export function timeLeft(floor, now = Date.now()) {
  if (!floor?.limit) return "";
  const left = Math.round(floor.limit - (now - Date.parse(floor.since)) / 1000);
  if (left < 0) return gettext("Time is up");
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

export function setupSpeakers({ act, allows, getState }) {
  const list = $("chair-speakers");
  const errors = $("chair-speakers-errors");
  let refocus = null;  // {key, to, selector}: the control to focus again once the entry is at `to`
  let dragged = null;

  function reorder(from, to, control, selector) {
    const speakers = getState().speakers;
    if (to < 0 || to >= speakers.length || from === to) return;
    refocus = { key: keyOf(speakers[from]), to, selector };
    act(control, "speakers.reorder", { order: movedOrder(speakers, from, to) }, errors);
  }

  function entry(s, index, state) {
    const name = s.name;
    const last = state.speakers.length - 1;
    const reorderable = allows(state, "speakers.reorder");
    const li = el("li", { "data-key": keyOf(s), draggable: reorderable ? "true" : "false", tabindex: "-1",
                          class: "speaker-entry" },
      el("span", { class: "drag-handle", "aria-hidden": "true" }, "⠿"),
      el("span", { class: "speaker-name" }, name, s.kind === "reply" ? ` (${gettext("reply")})` : ""),
      el("span", { class: "speaker-controls" },
        el("button", { type: "button", class: "give", disabled: !allows(state, "floor.grant"),
                       "aria-label": interpolate(gettext("Give the floor to %(name)s"), { name }, true),
                       onclick: (e) => act(e.currentTarget, "floor.grant", { person_id: Number(s.person) }, errors) },
          gettext("Give the floor")),
        el("button", { type: "button", class: "secondary up", disabled: index === 0 || !reorderable,
                       "aria-label": interpolate(gettext("Move %(name)s up"), { name }, true),
                       onclick: (e) => reorder(index, index - 1, e.currentTarget, index - 1 === 0 ? "button.down" : "button.up") },
          "↑"),
        el("button", { type: "button", class: "secondary down", disabled: index === last || !reorderable,
                       "aria-label": interpolate(gettext("Move %(name)s down"), { name }, true),
                       onclick: (e) => reorder(index, index + 1, e.currentTarget, index + 1 === last ? "button.up" : "button.down") },
          "↓"),
        el("button", { type: "button", class: "secondary remove", disabled: !allows(state, "floor.withdraw"),
                       "aria-label": interpolate(gettext("Remove %(name)s from the speakers list"), { name }, true),
                       onclick: (e) => act(e.currentTarget, "floor.withdraw", { person_id: Number(s.person), kind: s.kind }, errors) },
          gettext("Remove"))));
    li.addEventListener("keydown", (e) => {
      if (!e.altKey || !reorderable || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
      e.preventDefault();
      reorder(index, e.key === "ArrowUp" ? index - 1 : index + 1, li, null);
    });
    li.addEventListener("dragstart", (e) => {
      dragged = index;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", keyOf(s));
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => { dragged = null; li.classList.remove("dragging"); });
    li.addEventListener("dragover", (e) => { if (dragged !== null) { e.preventDefault(); li.classList.add("drop-target"); } });
    li.addEventListener("dragleave", () => li.classList.remove("drop-target"));
    li.addEventListener("drop", (e) => {
      e.preventDefault();
      li.classList.remove("drop-target");
      if (dragged !== null) reorder(dragged, index, li, null);
      dragged = null;
    });
    return li;
  }

  function renderTimer() {
    const floor = getState()?.floor;
    const text = timeLeft(floor);
    $("chair-timer").textContent = text;
    $("chair-timer").classList.toggle("over", text === gettext("Time is up"));
  }
  setInterval(renderTimer, 1000);

  return function render(state) {
    const floor = state.floor;
    $("chair-speaker").textContent = floor ? `${floor.name}${floor.kind === "reply" ? ` (${gettext("reply")})` : ""}` : "–";
    renderTimer();
    list.replaceChildren(...state.speakers.map((s, i) => entry(s, i, state)));
    $("chair-speakers-empty").hidden = state.speakers.length > 0;
    // Keep the keyboard where it was: on the moved entry's control (or the entry itself), once the
    // server's new order has arrived.
    const at = refocus ? state.speakers.findIndex((s) => keyOf(s) === refocus.key) : -1;
    if (refocus && (at === refocus.to || at === -1)) {
      const li = list.children[at];
      const target = li && ((refocus.selector && li.querySelector(refocus.selector)) || li);
      target?.focus();
      refocus = null;
    }
  };
}
