// Who sees and hears, in words. The server decides it (meetings/presence.py, `state.presence`) and
// renders the reason texts into the page (reasons-data); the page only shows them.
import { gettext } from "./i18n.js";

const node = document.getElementById("reasons-data");
const REASONS = node ? JSON.parse(node.textContent) : {};

export const reasonText = (code) => (code ? REASONS[code] || code : "");

// fact: state.presence[pid], or undefined for someone the server has said nothing about yet.
export function presenceText(fact) {
  if (!fact) return "–";
  return fact.sees_and_hears ? gettext("sees and hears") : reasonText(fact.reason);
}
