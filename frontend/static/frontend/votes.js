// Vote options and results in words: the server's option keys ("for", "against", "blank", "p12"
// for proposal 12, or a candidate's name) are never shown raw.
import { lang, t } from "./live.js";

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

export function resultSummary(result, proposalText, kind = "") {
  const counts = Object.entries(result.counts).sort(byRank).map(([o, n]) => `${optionLabel(o, proposalText)}: ${n}`).join(", ");
  const parts = [counts];
  if (result.round) {  // an election or an appointment (§ 7-8, § 11-9 (2)): the server's outcome of the round
    const appointment = kind === "appointment";
    parts.unshift(t(`${result.round}. runde`, `round ${result.round}`));
    if (result.winner) parts.push(appointment ? t(`ansatt: ${result.winner}`, `appointed: ${result.winner}`) : t(`valgt: ${result.winner}`, `elected: ${result.winner}`));
    else parts.push(appointment ? t("ingen ansatt", "nobody appointed") : t("ingen valgt", "nobody elected"));
  } else {
    parts.push(result.adopted ? t("vedtatt", "adopted") : t("ikke vedtatt", "not adopted"));
  }
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

// What a closed vote's result says of itself, line by line: the quorum in words, who could not vote
// and why, who did not vote, and for an election or appointment the round's numbers, the new round
// the server opened and a lot it drew. All of it is the server's; reasonText names a reason code.
export function resultDetails(result, reasonText) {
  const lines = [];
  const quorumText = result.quorum?.text?.[lang];
  if (quorumText) lines.push(`${t("Beslutningsdyktighet", "Quorum")}: ${quorumText}`);
  if (result.round) {
    lines.push(t(`${result.votes_cast} stemmer avgitt, ${result.blank} blanke; flertall krever ${result.majority_needed}`,
      `${result.votes_cast} votes cast, ${result.blank} blank; a majority needs ${result.majority_needed}`));
    if (result.written) lines.push(t("Skriftlig valg: bare totalene vises", "Written ballot: only the totals are shown"));
    if (result.new_round) {
      lines.push(t(`Ingen fikk mer enn halvparten av stemmene: ny avstemning (votering ${result.new_round_vote})`,
        `Nobody had more than half of the votes: a new vote is held (vote ${result.new_round_vote})`));
    }
    if (result.lot) {
      lines.push(t(`Stemmelikhet mellom ${result.lot.candidates.join(", ")}: loddtrekning, trukket ${result.lot.drawn}`,
        `Tie between ${result.lot.candidates.join(", ")}: drawn by lot, ${result.lot.drawn} drawn`));
    }
    if (result.unresolved) lines.push(result.unresolved);
  }
  const notEligible = Object.values(result.not_eligible || {});
  if (notEligible.length) {
    lines.push(`${t("Kunne ikke stemme", "Could not vote")}: ${notEligible.map((m) => `${m.name} (${reasonText(m.reason)}${
      m.voted ? t("; stemmen står", "; the ballot stands") : ""})`).join(", ")}`);
  }
  const notVoted = Object.values(result.not_voted_names || {});
  if (notVoted.length) lines.push(`${t("Stemte ikke", "Did not vote")}: ${notVoted.join(", ")}`);
  const outside = Object.values(result.not_in_quorum || {});
  if (outside.length) {
    lines.push(`${t("Telles ikke i beslutningsdyktigheten", "Not counted for the quorum")}: ${
      outside.map((m) => `${m.name} (${reasonText(m.reason)})`).join(", ")}`);
  }
  return lines;
}
