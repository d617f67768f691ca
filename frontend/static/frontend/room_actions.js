// The member room's command buttons. Each names its command (data-command, meetings/commands.py) and
// is enabled exactly when the server lists that command in `state.allowed` (meetings/allowed.py), so
// the page keeps no procedural rule of its own. A button sent waits (disabled, aria-busy) for the
// server's answer; a refusal stays beside it, in the page's language (errors.js), until dismissed.
import { el } from "./live.js";
import { errorText } from "./errors.js";
import { gettext } from "./i18n.js";

export const allows = (state, command) => Boolean(state?.allowed?.includes(command));

// Buttons that are drawn again on each render (vote options, a proposal's withdraw) share a pending
// key, so a re-render while the answer is awaited keeps them waiting.
const keyOf = (button) => button.dataset.pendingKey || button.id || button.dataset.command;

export class RoomActions {
  // root: where the room's buttons are; skip: a part of it with its own (the chair's console).
  constructor({ request, getState, getSeq, root, skip = null, ready = () => true }) {
    Object.assign(this, { request, getState, getSeq, root, skip, ready });
    this.pending = new Set();  // keys sent and not yet settled
    this.awaiting = new Map();  // key -> the seq of its ack: the ack overtakes its events
  }

  // Send `type` for `button`: pending until the page holds the state after the answer; a refusal is
  // shown in `near` (default: beside the button). Returns the ack, or null when refused.
  async act(button, type, payload = {}, near = null) {
    const key = keyOf(button);
    this.clearRefusal(key);
    this.busy(key, true);
    try {
      const reply = await this.request(type, payload);
      this.awaiting.set(key, reply.seq ?? 0);
      this.settle();
      return reply;
    } catch (error) {
      this.busy(key, false);
      this.showRefusal(near || button.closest(".control") || button.parentElement, error, key);
      return null;
    } finally {
      this.apply();
    }
  }

  busy(key, on) {
    if (on) this.pending.add(key); else this.pending.delete(key);
  }

  // Called after each render: answers whose events the page has folded in are settled.
  settle() {
    const seq = this.getSeq();
    for (const [key, at] of this.awaiting) {
      if (seq !== null && at <= seq) { this.awaiting.delete(key); this.busy(key, false); }
    }
  }

  buttons() {
    return [...this.root.querySelectorAll("button[data-command]")].filter((b) => !this.skip?.contains(b));
  }

  apply() {
    const state = this.getState();
    for (const button of this.buttons()) {
      const waiting = this.pending.has(keyOf(button));
      if (waiting) button.setAttribute("aria-busy", "true"); else button.removeAttribute("aria-busy");
      button.disabled = waiting || !allows(state, button.dataset.command) || !this.ready(button);
    }
  }

  clearRefusal(key) {
    this.root.querySelector(`.action-error[data-for="${CSS.escape(key)}"]`)?.remove();
  }

  showRefusal(holder, error, key) {
    const box = el("span", { class: "action-error error", role: "alert", "data-for": key, "data-code": error?.code || "" },
      errorText(error), " ",
      el("button", { type: "button", class: "dismiss secondary", "aria-label": gettext("Dismiss the message"),
                     onclick: () => box.remove() }, "×"));
    holder.append(box);
  }
}
