"""What the anonymous public may see (kommuneloven §§ 11-3, 11-4, 11-5): the one policy.

Every public output asks this module and decides nothing itself:

- an event's public form (`public_payload`, decided when the event is written, services/log.py,
  and stored with it): the REST event list, the public socket, the recording's chapters
  (`chapter_title`, livestream/bridge.py);
- the public state document (`state_document`, served by public_state.py as state.json and the
  public socket's `state`);
- which meetings and what of their agenda the public sees (`meeting_is_public`, `public_meetings`,
  `item_public`, `withheld_items`, `public_documents`: the REST serializers and selectors,
  public_views.py, the minutes archive);
- the public minutes (`minutes_form`, `decision_public`, `item_public_title`: minutes/generator.py);
- the public texts: closure grounds, the closed-doors notice, caption and slate, the other slates
  (`ground_public`, `closed_notice`, `closed_caption`, `closed_slate`, `no_stream_slate`,
  `floor_slate_text`, `waiting_slate`), so the page, the stream and the minutes say the same.

The rules (`EVENT_RULES` names every event type; a type without a rule is member-only):

- Nothing from a closed part (doors closed, or the debate on closing held behind them) reaches the
  public except that the doors are closed, on which ground, and each item's public title: no
  speakers, questions, proposals, ballots or votes, no free-text reasons.
- The public sees an item by its public title everywhere (the notice's title, § 11-3). An item
  planned for closed doors, handled behind them, or added while they are closed keeps its content
  (description, recommendation) from the public: the first two for good, the last until the doors
  open (`withheld_items`). Documents are public only when marked so without an exemption basis.
- Individual ballots are public only in a closed vote's named result; a vote held behind closed
  doors is not public at all, the vote on closing always (§ 11-5 (5)).
- Member-only: media health, talking indicators, the physical-room register, presence facts
  (except the vote result's `not_eligible` names and reason codes), absence and conflict reasons.
- The public minutes keep more than the live outputs only where § 11-4 wants it in the record:
  the roster (who was absent), periods a member could not see and hear (§ 11-7 (2)), conflict
  rulings with their legal basis (§ 11-4 (2)) and refused late items (without a closed part's title).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from .legal import ground_words, in_languages, in_meeting_language
from .state import MeetingState

Payload = dict[str, Any]
Form = Callable[[Payload, bool], "Payload | None"]  # (payload, doors closed after the event) -> public form


@dataclass(frozen=True)
class Rule:
    """How the public sees one event type: `live` on the live outputs, `minutes` in the public
    minutes (None: as live). `why` says the rule's reason, for the docs and the test."""

    live: Form
    why: str
    minutes: Form | None = field(default=None)


def _pick(payload: Payload, fields: tuple[str, ...] | None) -> Payload:
    return dict(payload) if fields is None else {k: payload[k] for k in fields if k in payload}


def always(fields: tuple[str, ...] | None = None, *, while_closed: tuple[str, ...] | None = None,
           why: str, minutes: Form | None = None) -> Rule:
    """Public also behind closed doors (then only `while_closed`, if given)."""
    def live(payload: Payload, closed: bool) -> Payload:
        return _pick(payload, while_closed if closed and while_closed is not None else fields)

    return Rule(live=live, why=why, minutes=minutes)


def while_open(fields: tuple[str, ...] | None = None, *, why: str, minutes: Form | None = None) -> Rule:
    """Public while the doors are open; nothing of it behind them."""
    def live(payload: Payload, closed: bool) -> Payload | None:
        return None if closed else _pick(payload, fields)

    return Rule(live=live, why=why, minutes=minutes)


def member_only(*, why: str, minutes: Form | None = None) -> Rule:
    return Rule(live=lambda payload, closed: None, why=why, minutes=minutes)


def _in_minutes(fields: tuple[str, ...] | None = None, *, while_closed: tuple[str, ...] | None = None) -> Form:
    return always(fields, while_closed=while_closed, why="").live


# The fields of attendance events the public sees (who is there, for whom).
_ATTENDANCE = ("person", "name", "party", "role", "substitute_for", "deputy", "for_member", "for_name")
_ITEM_BY_PUBLIC_TITLE = ("item", "case_number", "title", "public_title", "late")


def item_public_title(title: str | None, public_title: str | None) -> str:
    """The title the public sees an item by: the notice's (public) title, else the title."""
    return public_title or title or ""


def _item_added(payload: Payload, closed: bool) -> Payload:
    # § 11-3 (5): that a case was added is public; behind closed doors only by its public title
    # (who objected is part of the closed session).
    form = _pick(payload, _ITEM_BY_PUBLIC_TITLE if closed else None)
    form["title"] = item_public_title(payload.get("title"), payload.get("public_title"))
    return form


def _item_opened(payload: Payload, closed: bool) -> Payload:
    # An item planned for closed doors is opened in public by its public title only: its real title
    # and recommendation are the exempt part even before the doors close.
    if closed or payload.get("planned_closure_ground"):
        form = _pick(payload, ("item", "case_number", "planned_closure_ground"))  # the ground is on the notice
    else:
        form = dict(payload)
    form["title"] = item_public_title(payload.get("title"), payload.get("public_title"))
    return form


def _is_closure(payload: Payload) -> bool:
    return payload.get("kind") == "closure"


def _vote_opened(payload: Payload, closed: bool) -> Payload | None:
    # § 11-5 (5): the vote on closing is held in open session.
    return None if closed and not _is_closure(payload) else dict(payload)


def _vote_closed(payload: Payload, closed: bool) -> Payload | None:
    if closed and not _is_closure(payload):
        return None
    form = dict(payload)
    if isinstance(payload.get("result"), dict):
        form["result"] = public_vote_result(payload["result"])
    return form


# Who was not eligible in a vote is part of its public result (§ 11-9), by name and reason code;
# never an absence's or a ruling's free text.
_NOT_ELIGIBLE_FIELDS = ("person", "name", "reason", "deputy", "voted")


def public_vote_result(result: Payload) -> Payload:
    """A closed vote's result as the public may see it."""
    out = dict(result)
    not_eligible = result.get("not_eligible")
    if isinstance(not_eligible, list):
        out["not_eligible"] = [_pick(e, _NOT_ELIGIBLE_FIELDS) if isinstance(e, dict) else e for e in not_eligible]
    elif isinstance(not_eligible, dict):
        out["not_eligible"] = {k: _pick(e, _NOT_ELIGIBLE_FIELDS) if isinstance(e, dict) else e
                               for k, e in not_eligible.items()}
    return out


EVENT_RULES: dict[str, Rule] = {
    # The meeting as a whole (§ 11-3: the notice and the meeting are announced publicly).
    "meeting.created": member_only(why="written while the meeting is a draft, the clerk's working copy; the "
                                       "published notice makes the meeting public, so the minutes name it",
                                   minutes=_in_minutes(("title", "body", "form", "scheduled_start"))),
    "notice.published": always(why="§ 11-3: the notice and its case list (by public titles) are public"),
    "meeting.opened": Rule(live=lambda payload, closed: {k: v for k, v in payload.items() if k != "roster"},
                           why="that the meeting opened, where, under which rules and remote basis; the roster "
                               "(who sits, who was absent, § 11-4 (1) b) only in the minutes",
                           minutes=_in_minutes()),
    "meeting.suspended": always(while_closed=(), why="the meeting's state is public; a reason given behind "
                                                     "closed doors is not"),
    "meeting.adjourned": always(while_closed=(), why="the meeting's state is public; a reason given behind "
                                                     "closed doors is not"),
    "meeting.resumed": always(while_closed=(), why="the meeting's state is public; a reason given behind "
                                                   "closed doors is not"),
    "meeting.ended": always(why="the end of the meeting (the doors are opened first)"),
    "meeting.chair_changed": always(why="§ 11-2 (3): who chairs the meeting"),
    "mode.changed": always(why="§ 11-7 (4): the meeting-wide mode and the exemption it rests on"),
    "stream.state": always(why="whether the public can follow (the minutes say when it could not)"),
    "exemption.applied": always(why="§ 11-7 (4): the exemption profile the meeting runs under"),
    "minutes.published": always(why="§ 11-4: the minutes are public"),
    "minutes.correction": always(why="§ 11-4: a correction is part of the public minutes"),
    "minutes.signatories_chosen": always(why="§ 11-4: who will sign the minutes is part of them"),
    "minutes.signed": always(why="§ 11-4: a signature on the minutes is part of them"),
    "minutes.approved": always(why="§ 11-4: that the minutes are approved, and how, is part of them"),
    # Attendance: who attended is public (§ 11-4 (1) b); how well a member's media works is not.
    "member.joined": always(_ATTENDANCE, why="§ 11-4 (1) b: who attended"),
    "member.left": always(_ATTENDANCE, why="§ 11-4 (1) b: who attended"),
    "deputy.summoned": always(_ATTENDANCE, why="§ 11-4 (1) b: who attended for whom"),
    "member.absent": always(("person", "name"), why="§ 11-4 (1) b: who was absent; the reason may be personal"),
    "member.media": member_only(why="media health is member-only live; the minutes record when a member could not "
                                    "see and hear (§ 11-7 (2): not present then)",
                                minutes=_in_minutes(("person", "name", "sends_audio", "sends_video", "receives",
                                                     "audio_only", "reason"))),
    "member.talking": member_only(why="a talking indicator for the member room"),
    "member.in_room": member_only(why="the physical-room register is a presence fact, member-only"),
    # The agenda.
    "item.added": Rule(live=_item_added, why="§ 11-3 (5): a late item is public, by its public title only while "
                                             "the doors are closed"),
    "item.corrected": always(("item", "case_number", "title", "public_title", "planned_closure_ground", "changed"),
                             why="§ 11-3: a correction of the published notice is public, by the public title"),
    "item.postponed": always(("item", "case_number", "title", "reason"),
                             why="§ 11-3: that a noticed case will not be handled is public, by its public title"),
    "agenda.reordered": always(why="§ 11-3: the order of the published case list"),
    "meeting.location_changed": always(why="§ 11-3: where the noticed meeting is held"),
    "item.opened": Rule(live=_item_opened, why="which item is handled is public, by its public title; its content "
                                               "only in open session and when not planned for closed doors"),
    "item.closed": always(("item", "state"), why="that an item is closed is public, like which one is open"),
    "item.deferred": always(("item", "state"), why="that an item is deferred is public, like which one is open"),
    "late_item.refused": while_open(why="§ 11-3 (5): the refusal of a late item",
                                    minutes=_in_minutes(while_closed=("case_number", "chair_objects", "objectors",
                                                                      "present"))),
    # The debate (nothing of it behind closed doors).
    "floor.requested": while_open(why="the speakers list of an open session"),
    "floor.withdrawn": while_open(why="the speakers list of an open session"),
    "speakers.reordered": while_open(why="the speakers list of an open session"),
    "floor.granted": while_open(why="who speaks in open session"),
    "floor.ended": while_open(why="who speaks in open session"),
    "question.asked": while_open(why="§ 11-2 (4): a question in open session"),
    "proposal.submitted": while_open(why="proposals put forward in open session"),
    "proposal.withdrawn": while_open(why="proposals put forward in open session"),
    "conflict.declared": while_open(("item", "person", "name", "kind"),
                                    why="a declared conflict of interest in open session; the reason may be personal"),
    "conflict.ruled": while_open(why="the body's ruling in open session",
                                 minutes=_in_minutes(("item", "person", "name", "kind", "recused", "legal_basis"))),
    # Votes.
    "vote.opened": Rule(live=_vote_opened, why="a vote in open session; the vote on closing always (§ 11-5 (5))"),
    "vote.cast": while_open(("vote", "cast", "eligible"),
                            why="only the tally; how each member voted is public with the named result"),
    "vote.closed": Rule(live=_vote_closed, why="the result of a vote in open session (§ 11-4 (1) e), the vote on "
                                               "closing always"),
    "vote.written_demanded": while_open(("item", "person", "name", "basis"),
                                        why="a member's demand for a written ballot, made in open session (who voted "
                                            "what in writing is never in the log)"),
    # The doors (§ 11-5): always public, with the legal ground; never a free-text reason for closing.
    "doors.motion": always(("person", "ground", "ground_text", "item", "case_number", "title"),
                           why="§ 11-5 (5): the motion to close, on its legal ground, is public"),
    "doors.debate_closed": always(("ground", "item"), why="§ 11-5 (5): that the debate on closing is held behind "
                                                          "closed doors, and on which ground"),
    "doors.closed": always(("ground", "item", "vote"), why="§ 11-5: that the doors are closed, and on which ground"),
    "doors.opened": always(why="that the doors are open again"),
    "doors.motion_rejected": always(why="§ 11-5 (5): the outcome of the vote on closing"),
}


def _rule(event_type: str) -> Rule | None:
    return EVENT_RULES.get(event_type)  # deny by default: an event type without a rule is member-only


def _doors_closed(state_after: dict[str, Any]) -> bool:
    return bool((state_after.get("doors") or {}).get("closed"))


def event_form(event_type: str, payload: Payload, *, doors_closed: bool) -> Payload | None:
    """The public form of an event written with the doors as `doors_closed` after it, or None."""
    rule = _rule(event_type)
    return None if rule is None else rule.live(payload, doors_closed)


def public_payload(event_type: str, payload: Payload, state_after: dict[str, Any]) -> Payload | None:
    """The public form of an event, or None. `state_after` is the live state with the event applied."""
    return event_form(event_type, payload, doors_closed=_doors_closed(state_after))


def shows(event_type: str, *, doors_closed: bool, payload: Payload | None = None) -> bool:
    """Whether the public sees (something of) an event of this type under these doors."""
    return event_form(event_type, payload or {}, doors_closed=doors_closed) is not None


def minutes_form(event_type: str, payload: Payload, *, doors_closed: bool) -> Payload | None:
    """What the public minutes keep of an event, or None (nothing but, for a vote, that it was held)."""
    rule = _rule(event_type)
    if rule is None:
        return None
    return (rule.minutes or rule.live)(payload, doors_closed)


def decision_public(*, vote_public: bool, released: bool) -> bool:
    """A decision is public if the vote that made it was, or once the clerk found it not exempt
    and released it (§ 11-4 (1), offentleglova; `minutes.correction` with `release_decision_of_vote`)."""
    return vote_public or released


def chapter_title(event_type: str, public_form: Payload | None) -> str | None:
    """A chapter of the recording, made only from an event's public form: items and speeches."""
    if not public_form:
        return None
    if event_type == "item.opened":
        return f"{public_form.get('case_number', '')} {public_form.get('title', '')}".strip()
    if event_type == "floor.granted":
        return public_form.get("name") or None
    return None


# The meeting and its agenda ----------------------------------------------------------------------

def meeting_is_public(state: str) -> bool:
    """§ 11-3: a meeting is public from its published notice on; a draft is the clerk's working copy."""
    return state != MeetingState.DRAFT


def public_meetings(meetings: Any) -> Any:
    """The meetings of a queryset that the public may see (`meeting_is_public`)."""
    return meetings.exclude(state=MeetingState.DRAFT)


# The event types `withheld_items` folds (selectors read only these from the log).
WITHHELD_SOURCES = ("doors.motion", "doors.debate_closed", "doors.closed", "doors.opened", "doors.motion_rejected",
                    "item.added", "item.opened", "item.closed")


def withheld_items(records: Iterable[dict[str, Any]]) -> set[int]:
    """Ids of items whose content the public may not see now, from the log (records with `type`,
    `payload`, `at`, `seq`, in order): an item the doors closed for or that was open while they
    were closed (for good: it was handled behind closed doors), and an item added while they are
    closed (until they open). The doors are folded by the projection's own doors reducer."""
    from . import projection

    doors = projection.doors_initial()
    current: int | None = None
    handled_behind: set[int] = set()
    added_behind: set[int] = set()
    for r in records:
        kind, p = r["type"], r["payload"]
        if projection.apply_doors(doors, r):
            if doors["doors"]["closed"]:
                if p.get("item"):
                    handled_behind.add(int(p["item"]))
                if current is not None:
                    handled_behind.add(current)
            else:
                added_behind.clear()  # the public may see them now, unless handled behind closed doors
        elif kind == "item.opened":
            current = int(p["item"])
            if doors["doors"]["closed"]:
                handled_behind.add(current)
        elif kind == "item.closed":
            if current == int(p["item"]):
                current = None
        elif kind == "item.added" and doors["doors"]["closed"]:
            added_behind.add(int(p["item"]))
    return handled_behind | added_behind


def item_content_withheld(*, planned_closure_ground: str | None, item_id: int, withheld: set[int]) -> bool:
    return bool(planned_closure_ground) or item_id in withheld


def item_public(item: Any, *, withheld: set[int]) -> dict[str, Any]:
    """An agenda item (a model) as the public sees it: `title`, `description`, `recommendation`,
    `content_withheld`. `withheld` is `withheld_items` of its meeting's log."""
    hidden = item_content_withheld(planned_closure_ground=item.planned_closure_ground, item_id=item.id,
                                   withheld=withheld)
    return {"title": item_public_title(item.title, item.public_title), "content_withheld": hidden,
            "description": "" if hidden else item.description, "recommendation": "" if hidden else item.recommendation}


def public_documents(item: Any) -> Any:
    """An item's documents the public may read (§ 11-3 (3)): marked public, with no exemption basis."""
    return item.documents.public()


# Texts ------------------------------------------------------------------------------------------

def ground_public(ground: str | None) -> dict[str, str] | None:
    """A closure ground as the public sees it: its code and its words in every language (legal.ground_words)."""
    if not ground:
        return None
    return {"code": ground, **in_languages(lambda: ground_words(ground))}


def closed_notice(ground: str | None) -> dict[str, str]:
    return in_languages(lambda: gettext("The meeting is closed to the public under the %(ground)s.")
                        % {"ground": ground_words(ground)})


def closed_caption() -> dict[str, str]:
    return in_languages(lambda: gettext("Closed session: no sound or picture for the public."))


def _slate(text: Callable[[], str]) -> str:
    """A picture's text: the meeting's language, then English (for viewers from elsewhere)."""
    with translation.override("en"):
        english = text()
    local = in_meeting_language(text)
    return local if local == english else f"{local}\n{english}"


def closed_slate(ground: str | None) -> str:
    """The public picture while the doors are closed."""
    return _slate(lambda: gettext("The meeting is closed to the public under the %(ground)s.")
                  % {"ground": ground_words(ground)})


def no_stream_slate(instrument: str | None) -> str:
    under = f" ({instrument})" if instrument else ""
    return _slate(lambda: gettext("This meeting is not streamed live%(under)s.") % {"under": under})


# The public title of a case added behind closed doors when the chair gives none (§ 11-5).
LATE_ITEM_BEHIND_CLOSED_DOORS = gettext_lazy("Item taken up behind closed doors")


def waiting_slate() -> str:
    return _slate(lambda: gettext("Live stream – waiting for a picture"))


def floor_slate_text(*, mode: str, name: str | None, speaker_on_camera: bool) -> str | None:
    """The slate over live (open-session) audio, or None for the speaker's (or chair's) picture."""
    if mode == "audio_only":
        if name:
            return _slate(lambda: gettext("Audio only – %(name)s") % {"name": name})
        return _slate(lambda: gettext("Audio only"))
    if name and not speaker_on_camera:
        return _slate(lambda: gettext("%(name)s has the floor (audio only)") % {"name": name})
    return None


# The public state document ------------------------------------------------------------------------

# The fields of a closed vote's result in the public state document: a summary for the live page
# (the event's public form and the minutes carry the whole public result, `public_vote_result`).
_STATE_RESULT = ("counts", "adopted", "winner", "tie", "casting_vote", "decision", "quorum")


def _vote_entry(v: dict[str, Any]) -> dict[str, Any] | None:
    kind_payload = {"kind": v["kind"]}
    if not shows("vote.opened", doors_closed=bool(v.get("closed")), payload=kind_payload):
        return None  # a vote held behind closed doors is not public live (the minutes say what may be)
    entry: dict[str, Any] = {"vote": v["vote"], "title": v["title"], "kind": v["kind"], "state": v["state"],
                             "cast": len(v["ballots"]), "eligible": len(v["eligible"])}
    if v["state"] == "closed" and v.get("result"):
        closed = event_form("vote.closed", {"kind": v["kind"], "result": v["result"]},
                            doors_closed=bool(v.get("closed")))
        if closed is not None:
            r = closed["result"]
            entry["result"] = {k: r[k] for k in _STATE_RESULT if k in r}
            if v["kind"] == "closure":
                entry["result"]["decision"] = None  # the doors say what it decided, with the ground in words
            entry["result"]["named"] = {d["name"]: d["choice"] for d in r.get("named", {}).values()}
    return entry


def state_document(s: dict[str, Any]) -> dict[str, Any]:
    """The public part of a live state `s` (everything of the public state document but the
    meeting's own fields and the stream URL, which public_state.py adds)."""
    doors = s.get("doors") or {"closed": False}
    closed = bool(doors.get("closed"))
    item_id = s.get("current_item")
    item = s.get("items", {}).get(item_id) if item_id else None
    doc: dict[str, Any] = {
        "doors": {"closed": closed, "ground": ground_public(doors.get("ground")) if closed else None,
                  "since": doors.get("since"), "debate_only": bool(doors.get("debate_only")),
                  "notice": closed_notice(doors.get("ground")) if closed else None,
                  "caption": closed_caption() if closed else None},
        "closure_motion": None,
        "current_item": None,
        "speaker": None,
        "speakers": [],
        "proposals": [],
        "votes": [],
        "present": [],
        "stream": {"up": s.get("stream", {}).get("up", True)},
    }
    motion = s.get("closure_motion")
    if motion and shows("doors.motion", doors_closed=closed):
        doc["closure_motion"] = {"ground": ground_public(motion["ground"])}
    if item_id and item:
        doc["current_item"] = {"id": int(item_id), "case_number": item.get("case_number"),
                               "title": item_public_title(item.get("title"), item.get("public_title"))}
    floor = s.get("floor")
    if floor and shows("floor.granted", doors_closed=closed):
        # The party as the roster had it when the meeting opened (deputies are on it too).
        party = s.get("roster", {}).get(str(floor.get("person")), {}).get("party", "")
        doc["speaker"] = {"name": floor["name"], "party": party, "kind": floor["kind"], "since": floor["since"],
                          "limit": floor["limit"]}
    if shows("floor.requested", doors_closed=closed):
        doc["speakers"] = [{"name": e["name"], "kind": e["kind"]} for e in s.get("speakers", [])]
    if shows("proposal.submitted", doors_closed=closed):
        doc["proposals"] = [{"id": p["id"], "by": p["by_name"], "text": p["text"], "withdrawn": p["withdrawn"]}
                            for p in s.get("proposals", {}).values()
                            if p["item"] == item_id and shows("proposal.submitted", doors_closed=bool(p.get("closed")))]
    votes = [_vote_entry(v) for v in s.get("votes", {}).values()]
    doc["votes"] = [v for v in votes if v is not None][-10:]
    if shows("member.joined", doors_closed=closed):
        doc["present"] = sorted(a["name"] for a in s.get("attendance", {}).values()
                                if a.get("present") and a.get("role") != "clerk")
    return doc
