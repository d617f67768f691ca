// Vote options and results in words: the server's option keys ("for", "against", "blank", "p12"
// for proposal 12, or a candidate's name) are never shown raw.
import { t } from "./live.js";

const FIXED = { for: () => t("For", "For"), against: () => t("Mot", "Against"), blank: () => t("Blank", "Blank") };

// proposalText(id) returns the proposal's text, or null when the page does not know it.
export function optionLabel(option, proposalText = () => null) {
  if (FIXED[option]) return FIXED[option]();
  const match = /^p(\d+)$/.exec(option);
  if (!match) return option;  // a candidate in an election or appointment
  const text = proposalText(Number(match[1]));
  const name = t(`Forslag ${match[1]}`, `Proposal ${match[1]}`);
  return text ? `${name} (${text.length > 60 ? `${text.slice(0, 57)}…` : text})` : name;
}

// For before against, blank last, the rest (proposals, candidates) as the server listed them.
const RANK = { for: -2, against: -1, blank: 1 };
const byRank = ([a], [b]) => (RANK[a] || 0) - (RANK[b] || 0);

export function resultSummary(result, proposalText) {
  const counts = Object.entries(result.counts).sort(byRank).map(([o, n]) => `${optionLabel(o, proposalText)}: ${n}`).join(", ");
  const parts = [counts, result.adopted ? t("vedtatt", "adopted") : t("ikke vedtatt", "not adopted")];
  if (result.casting_vote) parts.push(t("møteleders dobbeltstemme avgjorde", "decided by the chair's casting vote"));
  if (result.quorum && !result.quorum.met) parts.push(t("ikke beslutningsdyktig", "no quorum"));
  return parts.join(" – ");
}

// The server names a closure vote by the ground's code and an untitled vote "Votering"; say both in
// words, in the page's language.
export function voteTitle(vote) {
  if (vote.kind === "closure") return t("Votering om å lukke møtet (§ 11-5)", "Vote on closing the meeting (§ 11-5)");
  if (vote.title === "Votering") return t("Votering", "Vote");
  return vote.title;
}
