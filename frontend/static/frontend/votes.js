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

// The ballot in front of a member (the room's #vote): the question, the full text of what is voted
// on, the choices, the member's own ballot once cast (locked: the server takes one per member) and
// the result once the chair closes the vote. Every fact is the vote's own in the state
// (meetings/projection.py `_vote_opened`: options, eligible, ballots, decision_texts, written).
// el: live.js's element builder; choose(button, option): send the ballot.
const ROUNDS = new Set(["election", "appointment"]);

function whatIsVoted(vote, state, el, proposalText) {
  const texts = vote.decision_texts || {};
  if (ROUNDS.has(vote.kind)) {
    return [el("h3", {}, gettext("Candidates")), el("ul", { class: "ballot-candidates" },
      ...vote.options.filter((o) => o !== "blank").map((o) => el("li", {}, o)))];
  }
  const proposals = vote.options.filter((o) => /^p\d+$/.test(o));
  if (proposals.length) {  // alternatives: each proposal in full
    return [el("h3", {}, gettext("The proposals voted on")), el("ul", { class: "ballot-proposals" },
      ...proposals.map((o) => {
        const p = state.proposals?.[o.slice(1)];
        return el("li", {}, el("strong", {}, interpolate(gettext("Proposal %(number)s"), { number: o.slice(1) }, true)),
          p?.by_name ? ` (${p.by_name})` : "", ": ", el("span", { class: "proposal-text" }, texts[o] || proposalText(Number(o.slice(1))) || ""));
      }))];
  }
  if (!texts.for) return [];
  const single = vote.proposals?.length === 1 ? state.proposals?.[String(vote.proposals[0])] : null;
  const label = vote.kind === "closure" ? gettext("The motion")
    : single ? interpolate(gettext("Proposal %(number)s"), { number: single.id }, true) + (single.by_name ? ` (${single.by_name})` : "")
      : gettext("The recommendation");
  return [el("h3", {}, gettext("What is voted on")), el("p", { class: "ballot-proposals" },
    el("strong", {}, label), ": ", el("span", { class: "proposal-text" }, texts.for))];
}

function castOrChoices(vote, me, el, label, choose) {
  const mine = vote.ballots?.[me];
  if (mine) {
    return el("div", { class: "ballot-locked", "data-locked": "true" },
      el("p", { class: "my-choice" }, mine === "written" ? gettext("You have cast your written ballot.")
        : interpolate(gettext("You voted: %(choice)s"), { choice: label(mine) }, true)),
      el("p", { class: "muted" }, mine === "written"
        ? gettext("It is secret: only the totals are counted. It can no longer be changed.")
        : gettext("Your vote is cast and can no longer be changed.")));
  }
  if (!vote.eligible.includes(me)) return el("p", {}, gettext("You do not vote in this vote."));
  if (vote.written) {  // a written ballot: the choice is marked, then put in the box once
    const name = `ballot-${vote.vote}`;
    const submit = el("button", { type: "submit", class: "primary cast-written", "data-command": "vote.cast",
                                  "data-pending-key": "vote.cast" }, gettext("Put the ballot in the box"));
    const form = el("form", { class: "written-ballot", onsubmit: (e) => {
      e.preventDefault();
      const picked = form.querySelector("input:checked");
      if (picked) choose(submit, picked.value);
    } },
    el("fieldset", {}, el("legend", {}, gettext("Written ballot: your choice is secret")),
      ...vote.options.map((o, i) => el("label", { class: "ballot-choice" },
        el("input", { type: "radio", name, value: o, required: i === 0 }), " ", label(o)))),
    submit);
    return form;
  }
  return el("div", { role: "group", class: "ballot-options", "aria-label": gettext("Your vote") },
    ...vote.options.map((o) => el("button", { type: "button", class: "option", "data-command": "vote.cast",
                                              "data-pending-key": "vote.cast", onclick: (e) => choose(e.currentTarget, o) }, label(o))));
}

export const tallyText = (vote) => interpolate(gettext("%(cast)s of %(eligible)s have voted"),
  { cast: Object.keys(vote.ballots).length, eligible: vote.eligible.length }, true);

// The nodes of the ballot for `vote` (open, or closed with its result) as `me` sees it.
export function ballotView({ vote, state, me, el, proposalText, reasonText, choose }) {
  const label = (o) => optionLabel(o, proposalText);
  const item = vote.item ? state.items?.[vote.item] : null;
  const nodes = [el("h2", { id: "vote-h", tabindex: "-1" }, voteTitle(vote))];
  if (item && vote.kind !== "closure") nodes.push(el("p", { class: "ballot-item" }, `${item.case_number} ${item.title}`));
  if (vote.office) nodes.push(el("p", {}, interpolate(gettext("Office: %(office)s"), { office: vote.office }, true)));
  nodes.push(...whatIsVoted(vote, state, el, proposalText));
  if (vote.state === "closed" && vote.result) {
    nodes.push(el("h3", {}, gettext("Result")), el("p", { class: "ballot-result" }, resultSummary(vote.result, proposalText, vote.kind)),
      el("ul", { class: "result-details" }, ...resultDetails(vote.result, reasonText).map((line) => el("li", {}, line))));
    if (vote.ballots?.[me]) nodes.push(castOrChoices(vote, me, el, label, choose));
    return nodes;
  }
  nodes.push(el("p", { class: "ballot-tally" }, tallyText(vote)));
  nodes.push(castOrChoices(vote, me, el, label, choose));
  return nodes;
}
