// Vote options and results in words: the server's option keys ("for", "against", "blank", "p12"
// for proposal 12, or a candidate's name) are never shown raw.
import { gettext, interpolate, language, pgettext } from "./i18n.js";

const FIXED = { for: () => pgettext("vote option", "For"), against: () => pgettext("vote option", "Against"),
  blank: () => pgettext("vote option", "Blank") };

// proposalText(id) returns the proposal's text, or null when the page does not know it.
export function optionLabel(option, proposalText = () => null) {
  if (FIXED[option]) return FIXED[option]();
  const match = /^p(\d+)$/.exec(option);
  if (!match) return option;  // a candidate in an election or appointment
  const text = proposalText(Number(match[1]));
  const name = interpolate(gettext("Proposal %(number)s"), { number: match[1] }, true);
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
    parts.unshift(interpolate(gettext("round %(round)s"), { round: result.round }, true));
    if (result.winner) parts.push(interpolate(appointment ? gettext("appointed: %(name)s") : gettext("elected: %(name)s"), { name: result.winner }, true));
    else parts.push(appointment ? gettext("nobody appointed") : gettext("nobody elected"));
  } else {
    parts.push(result.adopted ? gettext("adopted") : gettext("not adopted"));
  }
  if (result.casting_vote) parts.push(gettext("decided by the chair's casting vote"));
  if (result.quorum && !result.quorum.met) parts.push(gettext("no quorum"));
  return parts.join(" – ");
}

// The server names a closure vote by the ground's code and an untitled vote "Votering"; say both in
// words, in the page's language.
export function voteTitle(vote) {
  if (vote.kind === "closure") return gettext("Vote on closing the meeting (§ 11-5)");
  if (vote.title === "Votering") return gettext("Vote");
  return vote.title;
}

// What a closed vote's result says of itself, line by line: the quorum in words, who could not vote
// and why, who did not vote, and for an election or appointment the round's numbers, the new round
// the server opened and a lot it drew. All of it is the server's; reasonText names a reason code.
export function resultDetails(result, reasonText) {
  const lines = [];
  const quorumText = result.quorum?.text?.[language] || result.quorum?.text?.nb;
  if (quorumText) lines.push(`${gettext("Quorum")}: ${quorumText}`);
  if (result.round) {
    lines.push(interpolate(gettext("%(cast)s votes cast, %(blank)s blank; a majority needs %(needed)s"),
      { cast: result.votes_cast, blank: result.blank, needed: result.majority_needed }, true));
    if (result.written) lines.push(gettext("Written ballot: only the totals are shown"));
    if (result.new_round) {
      lines.push(interpolate(gettext("Nobody had more than half of the votes: a new vote is held (vote %(vote)s)"),
        { vote: result.new_round_vote }, true));
    }
    if (result.lot) {
      lines.push(interpolate(gettext("Tie between %(candidates)s: drawn by lot, %(drawn)s drawn"),
        { candidates: result.lot.candidates.join(", "), drawn: result.lot.drawn }, true));
    }
    if (result.unresolved) lines.push(result.unresolved);
  }
  const notEligible = Object.values(result.not_eligible || {});
  if (notEligible.length) {
    lines.push(`${gettext("Could not vote")}: ${notEligible.map((m) => `${m.name} (${reasonText(m.reason)}${
      m.voted ? gettext("; the ballot stands") : ""})`).join(", ")}`);
  }
  const notVoted = Object.values(result.not_voted_names || {});
  if (notVoted.length) lines.push(`${gettext("Did not vote")}: ${notVoted.join(", ")}`);
  const outside = Object.values(result.not_in_quorum || {});
  if (outside.length) {
    lines.push(`${gettext("Not counted for the quorum")}: ${
      outside.map((m) => `${m.name} (${reasonText(m.reason)})`).join(", ")}`);
  }
  return lines;
}
