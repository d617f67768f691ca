"""Minutes (møtebok, kommuneloven § 11-4) derived from the meeting log alone.

`build(records, ...)` is a pure function of the event records: the same log always gives the same
minutes. The data is language-neutral where it can be (option codes, ids, ISO times in Europe/Oslo
with their offset); the renderers turn codes into labels.

The public version asks the visibility policy (`meetings/visibility.py`) for every event: each
handler gets the event's `minutes_form` (what the public minutes keep of it) instead of its payload,
and an event the policy keeps nothing of is left out (a vote behind closed doors leaves only that it
was held, and when). The doors are followed with the projection's own doors reducer
(`projection.apply_doors`). So whatever happened between `doors.closed` (or `doors.debate_closed`)
and `doors.opened` is left out (speeches, proposals, questions, votes), while the item, its public
title, the legal ground and the closed periods (from-to) are always kept. A decision adopted in open
session stays public even if the doors close later in the same item; the decision of a vote held
behind closed doors is exempt unless the clerk has released it (a `minutes.correction` with
`release_decision_of_vote`, see services; `visibility.decision_public`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation

from meetings import projection, visibility
from meetings.legal import ground_words

from . import approval

Record = dict[str, Any]  # {"seq", "type", "at", "actor", "payload", "digest"}

LOCAL_TZ = ZoneInfo("Europe/Oslo")


def local_iso(at: str) -> str:
    """The log's UTC timestamp as Oslo local time with its offset, to the second."""
    return dt.datetime.fromisoformat(at).astimezone(LOCAL_TZ).replace(microsecond=0).isoformat()


def ground_text(ground: str | None, lang: str = "nb") -> str:
    """The ground in words (legal.ground_words, as the public page and the slate say it), in `lang`."""
    if not ground:
        return ""
    with translation.override(lang):
        return ground_words(ground)


def _explanation(res: dict[str, Any]) -> dict[str, Any]:
    """What the vote result says of who could vote and why not (services/votes.py `_explain`), and of
    an election's or appointment's round, for the minutes to show at the vote."""
    return {
        "eligible_count": len(res.get("eligible", [])),
        "not_eligible": [{"voter_id": person_id(pid), "name": e["name"], "reason": e["reason"],
                          "voted": bool(e.get("voted"))} for pid, e in res.get("not_eligible", {}).items()],
        "not_voted": [{"voter_id": person_id(pid), "name": name}
                      for pid, name in res.get("not_voted_names", {}).items()],
        "not_in_quorum": [{"voter_id": person_id(pid), "name": e["name"], "reason": e["reason"]}
                          for pid, e in res.get("not_in_quorum", {}).items()],
        "round": res.get("round"), "new_round": bool(res.get("new_round")), "lot": res.get("lot"),
        "written": bool(res.get("written")), "rule": res.get("rule"), "votes_cast": res.get("votes_cast"),
        "blank": res.get("blank"),
    }


def person_id(pid: Any) -> str:
    return f"person:{int(pid)}"


class _Builder:
    def __init__(self, *, public: bool, lang: str, meeting_id: int) -> None:
        self.public = public
        self.lang = lang
        self.mid = meeting_id
        self.at = ""  # local time of the event being folded in
        self.meeting: dict[str, Any] = {"id": f"meeting:{meeting_id}"}
        self.roster: dict[str, dict[str, Any]] = {}
        self.present: dict[str, dict[str, Any]] = {}
        self.absent: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.item_order: list[str] = []
        self.current: str | None = None
        self.doors = projection.doors_initial()  # folded with the projection's doors handlers
        self.redacted = False  # the policy keeps nothing of the event being folded in (public version)
        self.closures: list[dict[str, Any]] = []
        self.media: dict[tuple[str, str], dict[str, Any]] = {}
        self.media_periods: list[dict[str, Any]] = []
        self.outages: list[dict[str, Any]] = []
        self.exemptions: list[dict[str, Any]] = []
        self.questions: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.corrections: list[dict[str, Any]] = []
        self.approval = approval.initial("")
        self.votes: dict[str, dict[str, Any]] = {}
        self.released: set[int] = set()  # votes behind closed doors whose decision the clerk found not exempt
        self.names: dict[str, str] = {}
        self.last: Record | None = None
        self.count = 0

    def item(self, item_id: Any) -> dict[str, Any]:
        key = str(item_id)
        if key not in self.items:
            self.items[key] = {"id": f"item:{int(key)}", "case_number": "", "title": "", "public_title": "",
                               "late": False, "opened": None, "closed_at": None, "closed_sessions": [],
                               "speakers": [], "proposals": [], "votes": [], "conflicts": [], "decision": None,
                               "decision_vote": None, "decision_redacted": False}
            self.item_order.append(key)
        return self.items[key]

    @property
    def closed(self) -> bool:
        return bool(self.doors["doors"]["closed"])

    def _open_period_on_current_item(self) -> None:
        if self.current and self.closures and self.closures[-1]["to"] is None:
            c = self.closures[-1]
            self.items[self.current]["closed_sessions"].append(
                {"from": self.at, "to": None, "ground": c["ground"], "ground_text": ground_text(c["ground"], self.lang),
                 "debate_only": c["debate_only"]})

    def _end_period_on_current_item(self) -> None:
        if self.current:
            sessions = self.items[self.current]["closed_sessions"]
            if sessions and sessions[-1]["to"] is None:
                sessions[-1]["to"] = self.at

    # Events the public minutes still note when the policy keeps nothing of them: that a vote was held.
    _NOTED_WHEN_REDACTED = frozenset({"vote.opened", "vote.closed"})

    def on(self, r: Record) -> None:
        projection.apply_doors(self.doors, r)  # first: the policy asks about the doors after the event
        handler = getattr(self, "on_" + r["type"].replace(".", "_"), None)
        if not handler:
            return
        payload = r["payload"]
        self.redacted = False
        if self.public:
            form = visibility.minutes_form(r["type"], payload, doors_closed=self.closed)
            if form is None:
                if r["type"] not in self._NOTED_WHEN_REDACTED:
                    return
                self.redacted = True
            else:
                payload = form
        self.at = local_iso(r["at"])
        handler(r, payload)

    def on_meeting_created(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(title=p.get("title", ""), body=p.get("body", ""), form=p.get("form"),
                            scheduled_start=local_iso(p["scheduled_start"]) if p.get("scheduled_start") else None)

    def on_notice_published(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(location=p.get("location", ""), notice_published=self.at)
        for entry in p.get("items", []):
            it = self.item(entry["item"])
            it.update(case_number=entry["case_number"], public_title=entry["title"])
            it["title"] = it["title"] or entry["title"]

    def on_meeting_opened(self, r: Record, p: dict[str, Any]) -> None:
        chair = {"id": person_id(p["chair"]), "name": p.get("chair_name")} if p.get("chair") else None
        self.meeting.update(body=p["body"], seats=p["seats"], form=p["form"], location=p.get("location", ""),
                            chair=chair, remote_decision=p.get("remote_decision"),
                            opened=self.meeting.get("opened") or self.at, exemption_profile=p.get("exemption_profile"))
        self.roster = p.get("roster", {})
        self.approval["method"] = p.get("minutes_approval", "")
        for pid, info in self.roster.items():
            self.names[pid] = info["name"]

    def on_meeting_ended(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting["ended"] = self.at
        for entry in self.present.values():
            if entry["periods"] and entry["periods"][-1]["to"] is None:
                entry["periods"][-1]["to"] = self.at
        for key, period in list(self.media.items()):
            period["to"] = self.at
            self.media_periods.append(period)
            del self.media[key]
        if self.outages and self.outages[-1]["to"] is None:
            self.outages[-1]["to"] = self.at

    def on_meeting_chair_changed(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.setdefault("chair_changes", []).append(
            {"at": self.at, "person_id": person_id(p["person"]), "name": p["name"], "elected": p.get("elected", False)})

    def on_member_joined(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        self.names[pid] = p["name"]
        entry = self.present.setdefault(pid, {"person_id": person_id(pid), "name": p["name"],
                                              "party": p.get("party", ""), "role": p.get("role"),
                                              "substitute_for": None, "periods": []})
        if p.get("substitute_for"):
            sub = str(p["substitute_for"])
            entry["substitute_for"] = {"person_id": person_id(sub), "name": self.names.get(sub, "")}
        entry["periods"].append({"from": self.at, "to": None})

    def on_member_left(self, r: Record, p: dict[str, Any]) -> None:
        entry = self.present.get(str(p["person"]))
        if entry and entry["periods"] and entry["periods"][-1]["to"] is None:
            entry["periods"][-1]["to"] = self.at

    def on_member_absent(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        self.absent[pid] = {"person_id": person_id(pid), "name": p.get("name") or self.names.get(pid, ""),
                            "party": self.roster.get(pid, {}).get("party", ""), "deputy": None}
        if "reason" in p:  # the public form leaves out the reason, which may be personal (health)
            self.absent[pid]["reason"] = p["reason"]

    def on_deputy_summoned(self, r: Record, p: dict[str, Any]) -> None:
        member = self.absent.setdefault(str(p["for_member"]), {
            "person_id": person_id(p["for_member"]), "name": p.get("for_name", ""), "party": "", "deputy": None})
        member["deputy"] = {"person_id": person_id(p["deputy"]), "name": p["name"]}

    _MEDIA_CONDITIONS = (("audio_only", "audio_only", True), ("receives", "cannot_hear", False),
                         ("sends_audio", "cannot_be_heard", False), ("sends_video", "not_seen", False))

    def on_member_media(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        for field, state, bad in self._MEDIA_CONDITIONS:
            if field not in p:
                continue
            key = (pid, state)
            if p[field] == bad and key not in self.media:
                self.media[key] = {"person_id": person_id(pid), "name": p.get("name") or self.names.get(pid, ""),
                                   "state": state, "from": self.at, "to": None, "reason": p.get("reason", "")}
            elif p[field] != bad and key in self.media:
                period = self.media.pop(key)
                period["to"] = self.at
                self.media_periods.append(period)

    def on_item_added(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        it.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"],
                  late=bool(p.get("late")))

    def on_item_corrected(self, r: Record, p: dict[str, Any]) -> None:
        # A correction of the notice before the meeting: the case is known by the corrected title.
        it = self.item(p["item"])
        it.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"])

    def on_meeting_location_changed(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(location=p.get("location", ""))

    def on_late_item_refused(self, r: Record, p: dict[str, Any]) -> None:
        self.refused.append({"case_number": p["case_number"], "title": p.get("title"),
                             "at": self.at, "objectors": len(p.get("objectors", [])),
                             "chair_objects": p.get("chair_objects")})

    def on_item_opened(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        it.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"])
        it["opened"] = it["opened"] or self.at
        it["planned_closure_ground"] = p.get("planned_closure_ground")
        self.current = str(p["item"])
        if self.closed:  # the doors stayed closed from the previous item
            self._open_period_on_current_item()

    def on_item_closed(self, r: Record, p: dict[str, Any]) -> None:
        if self.current == str(p["item"]):
            self._end_period_on_current_item()
            self.current = None
        self.item(p["item"])["closed_at"] = self.at

    def on_floor_granted(self, r: Record, p: dict[str, Any]) -> None:
        if self.current:
            self.items[self.current]["speakers"].append({"person_id": person_id(p["person"]), "name": p["name"],
                                                         "kind": p.get("kind", "speech"), "at": self.at})

    def on_question_asked(self, r: Record, p: dict[str, Any]) -> None:
        self.questions.append({"person_id": person_id(p["person"]), "name": p["name"], "text": p["text"],
                               "at": self.at})

    def on_proposal_submitted(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        it["proposals"].append({"id": f"meeting:{self.mid}/proposal:{p['proposal']}", "number": p["proposal"],
                                "proposer_id": person_id(p["person"]), "by": p["name"], "text": p["text"],
                                "withdrawn": False, "at": self.at})

    def on_proposal_withdrawn(self, r: Record, p: dict[str, Any]) -> None:
        for it in self.items.values():
            for prop in it["proposals"]:
                if prop["number"] == p["proposal"]:
                    prop["withdrawn"] = True

    def on_vote_opened(self, r: Record, p: dict[str, Any]) -> None:
        # A closure vote is always held in open session (§ 11-5 (5)); the service reopens the doors first.
        self.votes[str(p["vote"])] = {"options": p["options"], "opened": self.at, "proposals": p.get("proposals", []),
                                      "in_closed_session": self.closed and p["kind"] != "closure"}

    def on_vote_closed(self, r: Record, p: dict[str, Any]) -> None:
        res = p["result"]
        opened = self.votes.get(str(p["vote"]), {"options": list(res["counts"]), "opened": None, "proposals": [],
                                                 "in_closed_session": self.closed})
        vote_id = f"meeting:{self.mid}/vote:{p['vote']}"
        if self.redacted:
            # The policy keeps nothing of the vote (one behind closed doors): not its title, count or ballots.
            vote: dict[str, Any] = {"id": vote_id, "number": p["vote"], "in_closed_session": True, "redacted": True,
                                    "start": opened["opened"], "end": self.at}
        else:
            vote = {"id": vote_id, "number": p["vote"], "title": p["title"], "kind": p["kind"],
                    "in_closed_session": opened["in_closed_session"], "redacted": False,
                    "start": opened["opened"], "end": self.at,
                    "proposals": [f"meeting:{self.mid}/proposal:{n}" for n in opened["proposals"]],
                    "options": list(opened["options"]),
                    "counts": [{"option": o, "value": res["counts"].get(o, 0)} for o in opened["options"]],
                    "result": "adopted" if res["adopted"] else "rejected", "adopted": res["adopted"],
                    "winner": res.get("winner"), "tie": res["tie"], "casting_vote": res["casting_vote"],
                    "quorum": res["quorum"], "rules": res.get("rules"),
                    "votes": [{"voter_id": person_id(pid), "name": v["name"], "option": v["choice"]}
                              for pid, v in res.get("named", {}).items()]}
            if res.get("budget"):
                vote["budget"] = res["budget"]  # § 11-9 (3): the first round and its runoff, as the log has them
            vote.update(_explanation(res))
        item_id = p.get("item")
        if not item_id:
            return
        target = self.item(item_id)
        target["votes"].append(vote)
        if res["adopted"] and res.get("decision") and p["kind"] != "closure":
            target["decision"] = res["decision"]
            target["decision_vote"] = p["vote"]
            target["decision_vote_public"] = not self.redacted

    def on_doors_debate_closed(self, r: Record, p: dict[str, Any]) -> None:
        self._close(p, debate_only=True)

    def on_doors_closed(self, r: Record, p: dict[str, Any]) -> None:
        self._close(p, debate_only=False)

    def _close(self, p: dict[str, Any], *, debate_only: bool) -> None:
        item = self.items.get(str(p.get("item"))) if p.get("item") else None
        self.closures.append({"from": self.at, "to": None, "ground": p["ground"],
                              "ground_text": ground_text(p["ground"], self.lang), "debate_only": debate_only,
                              "item_id": item["id"] if item else None,
                              "case_number": item["case_number"] if item else None})
        self._open_period_on_current_item()

    def on_doors_opened(self, r: Record, p: dict[str, Any]) -> None:
        if self.closures and self.closures[-1]["to"] is None:
            self.closures[-1]["to"] = self.at
        self._end_period_on_current_item()

    def on_conflict_ruled(self, r: Record, p: dict[str, Any]) -> None:
        # § 11-4 (2): the legal basis of every ruling is minuted, also one made behind closed doors.
        self.item(p["item"])["conflicts"].append({"person_id": person_id(p["person"]), "name": p["name"],
                                                  "kind": p["kind"], "recused": p["recused"],
                                                  "legal_basis": p["legal_basis"], "at": self.at})

    def on_stream_state(self, r: Record, p: dict[str, Any]) -> None:
        if not p["up"]:
            self.outages.append({"from": self.at, "to": None, "reason": p.get("reason", "")})
        elif self.outages and self.outages[-1]["to"] is None:
            self.outages[-1]["to"] = self.at

    def on_exemption_applied(self, r: Record, p: dict[str, Any]) -> None:
        self.exemptions.append({"at": self.at, "instrument": p["instrument"], "title": p["title"],
                                "kind": "profile", "allows": p.get("allows"), "valid_from": p.get("valid_from"),
                                "valid_to": p.get("valid_to")})

    def on_mode_changed(self, r: Record, p: dict[str, Any]) -> None:
        self.exemptions.append({"at": self.at, "kind": "mode", "mode": p["mode"], "instrument": p.get("instrument"),
                                "reason": p.get("reason", "")})

    def on_minutes_signatories_chosen(self, r: Record, p: dict[str, Any]) -> None:
        approval.apply(self.approval, r["type"], p, self.at)

    on_minutes_signed = on_minutes_signatories_chosen
    on_minutes_approved = on_minutes_signatories_chosen

    def on_minutes_correction(self, r: Record, p: dict[str, Any]) -> None:
        correction = {"seq": r["seq"], "at": self.at, "section": p.get("section", ""), "text": p["text"],
                      "by": p.get("by", "")}
        if p.get("release_decision_of_vote"):
            correction["releases_decision_of"] = f"meeting:{self.mid}/vote:{p['release_decision_of_vote']}"
            self.released.add(p["release_decision_of_vote"])
        self.corrections.append(correction)

    def _item_result(self, it: dict[str, Any]) -> dict[str, Any]:
        it = dict(it)
        public_title = it.pop("public_title")
        vote_public = it.pop("decision_vote_public", True)
        if self.public:
            it["title"] = visibility.item_public_title(it["title"], public_title)  # as published on the notice
            if it["decision"] is not None and not visibility.decision_public(
                    vote_public=vote_public, released=it.get("decision_vote") in self.released):
                it["decision"] = None
                it["decision_redacted"] = True
        return it

    def result(self) -> dict[str, Any]:
        items = [self._item_result(self.items[key]) for key in self.item_order
                 if self.items[key]["opened"] is not None or self.items[key]["votes"]]  # else: not handled
        seated = {pid for pid, info in self.roster.items() if info["role"] in ("member", "chair", "deputy_chair")}
        never = sorted(seated - set(self.present) - set(self.absent), key=int)
        absent = list(self.absent.values()) + [
            {"person_id": person_id(pid), "name": self.roster[pid]["name"], "party": self.roster[pid].get("party", ""),
             "deputy": None} for pid in never]
        present = [p for p in self.present.values() if p["role"] != "clerk"]
        return {
            "type": "Minutes",
            "visibility": "public" if self.public else "internal",
            "lang": self.lang,
            "timezone": "Europe/Oslo",
            "meeting": self.meeting,
            "attendance": {"present": sorted(present, key=lambda p: p["name"]),
                           "absent": sorted(absent, key=lambda p: p["name"])},
            "agenda_items": items,
            "closures": self.closures,
            "media_periods": sorted(self.media_periods, key=lambda m: (m["from"], m["name"])),
            "stream_outages": self.outages,
            "exemptions": self.exemptions,
            "questions": self.questions,
            "late_items_refused": self.refused,
            "corrections": self.corrections,
            "approval": self.approval,
            "log": {"events": self.count, "last_seq": self.last["seq"] if self.last else 0,
                    "last_digest": self.last["digest"] if self.last else ""},
        }


AFTER_THE_END = frozenset({"minutes.correction", "minutes.signed", "minutes.approved"})


def build(records: list[Record], *, public: bool, meeting_id: int, lang: str = "nb") -> dict[str, Any]:
    """Minutes from the event records of one meeting (ordered by seq). The log digest covered is the
    one of `meeting.ended`; corrections appended after it are listed, never merged into the text, and
    signatures and the approval after it say how far the approval has come."""
    b = _Builder(public=public, lang=lang, meeting_id=meeting_id)
    ended = False
    for r in records:
        if not ended:
            b.on(r)
            b.count += 1
            b.last = r
            ended = r["type"] == "meeting.ended"
        elif r["type"] in AFTER_THE_END:
            b.on(r)
    return b.result()
