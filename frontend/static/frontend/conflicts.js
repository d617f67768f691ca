// Declared conflicts of interest and requests for exemption, with the chair's rulings. The live
// state keeps only who is recused, so the page collects these from the log's events (a fresh page
// syncs from seq 0 and so sees every one of them).
import { gettext, interpolate } from "./i18n.js";

export const KINDS = {
  conflict_of_interest: () => gettext("Conflict of interest"),
  personal_exemption: () => gettext("Personal exemption"),
};

export class ConflictLog {
  constructor() {
    this.entries = new Map();  // "item:person:kind" -> {item, person, name, case_number, kind, reason, ruling}
  }

  // Returns true when the event changed the list.
  apply(event) {
    const p = event.payload || {};
    if (event.event !== "conflict.declared" && event.event !== "conflict.ruled") return false;
    const key = `${p.item}:${p.person}:${p.kind}`;
    const entry = this.entries.get(key) || { item: String(p.item), person: String(p.person), name: p.name,
                                             case_number: p.case_number, kind: p.kind, reason: "", ruling: null };
    if (event.event === "conflict.declared") entry.reason = p.reason || "";
    else entry.ruling = { recused: p.recused, legal_basis: p.legal_basis };
    this.entries.set(key, entry);
    return true;
  }

  forItem(itemId) {
    return [...this.entries.values()].filter((e) => e.item === String(itemId));
  }
}

export function describe(entry) {
  const kind = (KINDS[entry.kind] || (() => entry.kind))();
  const basis = { basis: entry.ruling?.legal_basis };
  const ruling = !entry.ruling ? gettext("not ruled on")
    : entry.ruling.recused ? interpolate(gettext("steps down (%(basis)s)"), basis, true)
      : interpolate(gettext("takes part (%(basis)s)"), basis, true);
  return `${entry.name}: ${kind}${entry.reason ? ` – ${entry.reason}` : ""} – ${ruling}`;
}
