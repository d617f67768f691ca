// A refused command in the page's language. The server answers with a stable `code` and an English
// message (docs/protocol.md, "Error codes"); the page shows its own words for the codes it knows,
// from the JavaScript catalogue (i18n.js, locale/*/djangojs.po), and the server's message otherwise.
import { gettext } from "./i18n.js";

const TEXTS = {
  forbidden: () => gettext("You may not do this in your role."),
  not_in_session: () => gettext("The meeting is not in session."),
  not_joinable: () => gettext("The meeting cannot be joined now."),
  illegal_transition: () => gettext("That is not possible in the meeting's present state."),
  no_item_open: () => gettext("No agenda item is open."),
  item_already_open: () => gettext("Close the current item before opening another."),
  vote_open: () => gettext("Close the vote in progress first."),
  vote_closed: () => gettext("The vote is closed."),
  already_voted: () => gettext("You have already voted."),
  not_eligible: () => gettext("You are not eligible in this vote."),
  no_eligible_voters: () => gettext("Nobody present is eligible to vote."),
  no_speakers: () => gettext("The speakers list is empty."),
  no_floor: () => gettext("Nobody has the floor."),
  not_present: () => gettext("Only someone registered as present can do this."),
  not_a_voting_member: () => gettext("Only members taking part in the meeting can do this."),
  already_requested: () => gettext("You are already on the speakers list."),
  nothing_to_reply_to: () => gettext("A reply answers the speaker, and nobody has the floor."),
  not_on_list: () => gettext("That person is not on the speakers list."),
  recused: () => gettext("You have stepped down from this item."),
  motion_pending: () => gettext("A motion to close the doors is already pending."),
  no_closure_motion: () => gettext("There is no motion to close the doors."),
  doors_open: () => gettext("The doors are open."),
  doors_closed: () => gettext("The doors are closed."),
  member_not_absent: () => gettext("A deputy is summoned only for a member registered absent."),
  no_deputy: () => gettext("No free deputy is left for that member's party."),
  deputy_already_summoned: () => gettext("A deputy is already summoned."),
  vote_kind_not_allowed: () => gettext("This body does not hold that kind of vote."),
  written_ballot_not_allowed: () => gettext("A written ballot cannot be held here."),
  proposal_withdrawn: () => gettext("The proposal was withdrawn."),
  mandatory_closure_remote: () => gettext("A case that must be closed cannot be handled in a remote meeting (§ 11-7 (3))."),
  invalid_input: () => gettext("The request was not complete or not valid."),
  rate_limited: () => gettext("Too many requests at once; try again."),
  internal: () => gettext("The server could not handle this request."),
  // Refusals the chair's console can meet (docs/protocol.md, "Error codes").
  not_found: () => gettext("That no longer exists in this meeting."),
  quorum_not_met: () => gettext("Too few are present for the meeting to make a valid decision (Local Government Act § 11-9 (1))."),
  closure_ground_required: () => gettext("Choose the legal ground for closing the doors."),
  no_item_to_open: () => gettext("No item on the agenda can be opened now."),
  chair_not_elected: () => gettext("The meeting must elect its chair first (Local Government Act § 11-2 (3))."),
  budget_needs_alternatives: () => gettext("A budget vote needs at least two proposals; with one, hold an ordinary vote."),
  meeting_ended: () => gettext("The meeting has ended."),
  already_withdrawn: () => gettext("The proposal was already withdrawn."),
  use_late_item: () => gettext("The notice is out: add the case as a late item."),
};

// An Error from LiveSocket.request (with `code`), or anything else thrown while sending.
export function errorText(error) {
  const text = error?.code && TEXTS[error.code];
  if (text) return text();
  if (error?.message === "not connected" || error?.message === "connection lost") {
    return gettext("Not connected to the meeting; try again once connected.");
  }
  return error?.message || String(error);
}
