// Closing the doors (kommuneloven § 11-5) as one guided flow of four steps: the legal ground and the
// motion, the decision to close (a vote in open session, its debate optionally behind closed doors),
// the doors closed, and reopening. Which step the meeting is at is read from the server's facts
// (`state.doors`, `state.closure_motion`, the open vote's kind); each button is enabled only for a
// command in `state.allowed`. The grounds are shown in words (grounds-data, from the server).
import { gettext, interpolate } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const STEPS = ["doors-step-ground", "doors-step-decision", "doors-step-closed", "doors-step-reopen"];

// The step the meeting is at (0-3), from the doors' state as the server folded it.
export function doorsStep(state) {
  const doors = state.doors || {};
  if (doors.closed && !doors.debate_only) return 3;
  if (doors.closed || state.closure_motion) return 1;
  return 0;
}

const timeOf = (iso) => new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined,
  { hour: "2-digit", minute: "2-digit" });

export function setupDoors({ act, allows, getState, grounds, quorumConfirmed, afterSeeHearCheck }) {
  const words = (code) => grounds[code] || code || "";
  const near = $("doors-errors");

  $("closure-vote").onclick = async (e) => {
    const button = e.currentTarget;
    if (!await quorumConfirmed("open")) return;
    await afterSeeHearCheck(() => act(button, "vote.open", { kind: "closure" }, near));
  };
  $("closure-close").onclick = async (e) => {
    const button = e.currentTarget;
    const vote = getState().open_vote;
    if (!vote || !await quorumConfirmed("close")) return;
    await act(button, "vote.close", { vote: Number(vote) }, near);
  };

  return function render(state, pending) {
    const step = doorsStep(state);
    STEPS.forEach((id, i) => {
      const li = $(id);
      li.classList.toggle("done", i < step);
      li.classList.toggle("current", i === step);
      if (i === step) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    const motion = state.closure_motion;
    const openVote = state.open_vote && state.votes[state.open_vote];
    const closureOpen = openVote?.kind === "closure";
    $("doors-motion-text").textContent = motion
      ? interpolate(gettext("Moved to close on the ground: %(ground)s."), { ground: words(motion.ground) }, true) : "";
    const doors = state.doors || {};
    $("doors-status").textContent = doors.closed && !doors.debate_only
      ? interpolate(gettext("The doors have been closed since %(time)s. Ground: %(ground)s."),
        { time: timeOf(doors.since), ground: words(doors.ground) }, true)
      : doors.debate_only ? gettext("The debate on closing is held behind closed doors; reopen them for the vote.")
        : gettext("The doors are open.");
    // The two vote buttons of the flow stand for the vote on the pending motion only (step 2).
    const vote = $("closure-vote");
    vote.disabled = pending.has(vote) || !allows(state, "vote.open") || !motion || Boolean(openVote);
    const close = $("closure-close");
    close.disabled = pending.has(close) || !allows(state, "vote.close") || !closureOpen;
  };
}
