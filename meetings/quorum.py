"""Whether those present now make a quorum (kommuneloven § 11-9 (1)), over the live state.

The number required is the rule set's (`legal.RuleSet.quorum_required`: at least half of the seats
where § 11-9 binds the body, none where it does not, § 11-1); the service that opens the meeting
logs it in `meeting.opened`. Present are the members who may vote now on the current item: present,
seeing and hearing (`presence.py`) and not recused. This is the warning the chair sees before a vote
opens or closes; the vote's own quorum, counted from who was present throughout and voted, is
`services/votes.py` `_quorum`.
"""

from __future__ import annotations

from typing import Any

from .presence import eligible_voters

State = dict[str, Any]


def quorum_now(state: State) -> dict[str, Any]:
    present = len(eligible_voters(state, state.get("current_item")))
    required = int(state["meeting"].get("quorum_required") or 0)
    return {"present": present, "required": required, "met": present >= required}
