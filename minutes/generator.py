"""Minutes (møtebok, kommuneloven § 11-4) derived from the meeting log alone.

`build(records)` is a pure function of the event records: the same log always gives the same
minutes. The public version leaves out what was said and proposed behind closed doors (§ 11-5),
keeping what the law wants public: the item, the legal ground of the closure and the voting result.
"""

from __future__ import annotations

from typing import Any

from meetings.legal import CLOSURE_GROUND_EN, ClosureGround

Record = dict[str, Any]  # {"seq", "type", "at", "actor", "payload", "digest"}


def ground_text(ground: str | None, lang: str = "nb") -> str:
    if not ground:
        return ""
    try:
        g = ClosureGround(ground)
    except ValueError:
        return ground
    return g.label if lang == "nb" else CLOSURE_GROUND_EN[g]


def option_label(option: str, lang: str) -> str:
    if option.startswith("p") and option[1:].isdigit():
        return ("Forslag " if lang == "nb" else "Proposal ") + option[1:]
    return {"for": "For" if lang == "en" else "For", "against": "Mot" if lang == "nb" else "Against",
            "blank": "Blank"}.get(option, option)


class _Builder:
    def __init__(self, *, public: bool, lang: str) -> None:
        self.public = public
        self.lang = lang
        self.meeting: dict[str, Any] = {}
        self.roster: dict[str, dict[str, Any]] = {}
        self.present: dict[str, dict[str, Any]] = {}
        self.absent: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.item_order: list[str] = []
        self.current: str | None = None
        self.closed = False
        self.closures: list[dict[str, Any]] = []
        self.media: dict[tuple[str, str], dict[str, Any]] = {}
        self.media_periods: list[dict[str, Any]] = []
        self.outages: list[dict[str, Any]] = []
        self.exemptions: list[dict[str, Any]] = []
        self.questions: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.corrections: list[dict[str, Any]] = []
        self.votes: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        self.last: Record | None = None
        self.count = 0

    # helpers
    def item(self, item_id: Any) -> dict[str, Any]:
        key = str(item_id)
        if key not in self.items:
            self.items[key] = {"id": int(key), "case_number": "", "title": "", "public_title": "", "late": False,
                               "opened": None, "closed_at": None, "closed_session": None, "speakers": [],
                               "proposals": [], "votes": [], "conflicts": [], "decision": None}
            self.item_order.append(key)
        return self.items[key]

    def hidden(self) -> bool:
        return self.public and self.closed

    def mark_item_closed_session(self, ground: str) -> None:
        if self.current:
            self.items[self.current]["closed_session"] = {"ground": ground, "ground_text": ground_text(ground, self.lang)}

    # event handlers
    def on(self, r: Record) -> None:
        handler = getattr(self, "on_" + r["type"].replace(".", "_"), None)
        if handler:
            handler(r, r["payload"])

    def on_meeting_created(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(title=p.get("title", ""), body=p.get("body", ""), form=p.get("form"),
                            scheduled_start=p.get("scheduled_start"))

    def on_notice_published(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(location=p.get("location", ""), notice_published=r["at"])
        for entry in p.get("items", []):
            it = self.item(entry["item"])
            it.update(case_number=entry["case_number"], public_title=entry["title"])
            it["title"] = it["title"] or entry["title"]

    def on_meeting_opened(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.update(body=p["body"], seats=p["seats"], form=p["form"], location=p.get("location", ""),
                            chair=p.get("chair_name"), remote_decision=p.get("remote_decision"),
                            opened=self.meeting.get("opened") or r["at"], exemption_profile=p.get("exemption_profile"))
        self.roster = p.get("roster", {})
        for pid, info in self.roster.items():
            self.names[pid] = info["name"]

    def on_meeting_ended(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting["ended"] = r["at"]
        for pid, entry in self.present.items():
            if entry["periods"] and entry["periods"][-1]["to"] is None:
                entry["periods"][-1]["to"] = r["at"]
        for key, period in list(self.media.items()):
            period["to"] = r["at"]
            self.media_periods.append(period)
            del self.media[key]
        if self.outages and self.outages[-1]["to"] is None:
            self.outages[-1]["to"] = r["at"]

    def on_meeting_chair_changed(self, r: Record, p: dict[str, Any]) -> None:
        self.meeting.setdefault("chair_changes", []).append({"at": r["at"], "name": p["name"],
                                                             "elected": p.get("elected", False)})

    def on_member_joined(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        self.names[pid] = p["name"]
        entry = self.present.setdefault(pid, {"person": int(pid), "name": p["name"], "party": p.get("party", ""),
                                              "role": p.get("role"), "substitute_for": None, "periods": []})
        if p.get("substitute_for"):
            entry["substitute_for"] = self.names.get(str(p["substitute_for"]), str(p["substitute_for"]))
        entry["periods"].append({"from": r["at"], "to": None})

    def on_member_left(self, r: Record, p: dict[str, Any]) -> None:
        entry = self.present.get(str(p["person"]))
        if entry and entry["periods"] and entry["periods"][-1]["to"] is None:
            entry["periods"][-1]["to"] = r["at"]

    def on_member_absent(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        self.absent[pid] = {"person": int(pid), "name": p.get("name") or self.names.get(pid, ""),
                            "party": self.roster.get(pid, {}).get("party", ""), "deputy": None}
        if not self.public:
            self.absent[pid]["reason"] = p.get("reason", "")

    def on_deputy_summoned(self, r: Record, p: dict[str, Any]) -> None:
        member = self.absent.setdefault(str(p["for_member"]), {"person": p["for_member"], "name": p.get("for_name", ""),
                                                               "party": "", "deputy": None})
        member["deputy"] = p["name"]

    def on_member_media(self, r: Record, p: dict[str, Any]) -> None:
        pid = str(p["person"])
        conditions = {"audio_only": ("audio_only", True), "receives": ("cannot_hear", False),
                      "sends_audio": ("cannot_be_heard", False), "sends_video": ("not_seen", False)}
        for field, (state, bad) in conditions.items():
            if field not in p:
                continue
            key = (pid, state)
            if p[field] == bad and key not in self.media:
                self.media[key] = {"person": int(pid), "name": p.get("name") or self.names.get(pid, ""),
                                   "state": state, "from": r["at"], "to": None, "reason": p.get("reason", "")}
            elif p[field] != bad and key in self.media:
                period = self.media.pop(key)
                period["to"] = r["at"]
                self.media_periods.append(period)

    def on_item_added(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        it.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"],
                  late=bool(p.get("late")))

    def on_late_item_refused(self, r: Record, p: dict[str, Any]) -> None:
        self.refused.append({"case_number": p["case_number"], "title": p["title"], "at": r["at"],
                             "objectors": len(p.get("objectors", [])), "chair_objects": p.get("chair_objects")})

    def on_item_opened(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        it.update(case_number=p["case_number"], title=p["title"], public_title=p.get("public_title") or p["title"])
        it["opened"] = it["opened"] or r["at"]
        it["planned_closure_ground"] = p.get("planned_closure_ground")
        self.current = str(p["item"])
        if self.closed:
            self.mark_item_closed_session(self.closures[-1]["ground"])

    def on_item_closed(self, r: Record, p: dict[str, Any]) -> None:
        self.item(p["item"])["closed_at"] = r["at"]
        if self.current == str(p["item"]):
            self.current = None

    def on_floor_granted(self, r: Record, p: dict[str, Any]) -> None:
        if self.current and not self.hidden():
            self.items[self.current]["speakers"].append({"name": p["name"], "kind": p.get("kind", "speech"),
                                                         "at": r["at"]})

    def on_question_asked(self, r: Record, p: dict[str, Any]) -> None:
        if not self.hidden():
            self.questions.append({"name": p["name"], "text": p["text"], "at": r["at"]})

    def on_proposal_submitted(self, r: Record, p: dict[str, Any]) -> None:
        it = self.item(p["item"])
        if self.hidden():
            return
        it["proposals"].append({"number": p["proposal"], "by": p["name"], "text": p["text"], "withdrawn": False})

    def on_proposal_withdrawn(self, r: Record, p: dict[str, Any]) -> None:
        for it in self.items.values():
            for prop in it["proposals"]:
                if prop["number"] == p["proposal"]:
                    prop["withdrawn"] = True

    def on_vote_opened(self, r: Record, p: dict[str, Any]) -> None:
        self.votes[str(p["vote"])] = {"options": p["options"], "hidden": self.hidden() and p["kind"] != "closure"}

    def on_vote_closed(self, r: Record, p: dict[str, Any]) -> None:
        opened = self.votes.get(str(p["vote"]), {"options": list(p["result"]["counts"]), "hidden": False})
        res = p["result"]
        vote = {"number": p["vote"], "title": p["title"], "kind": p["kind"], "at": r["at"],
                "counts": [{"option": option_label(o, self.lang), "votes": res["counts"].get(o, 0)}
                           for o in opened["options"]],
                "adopted": res["adopted"], "winner": option_label(res["winner"], self.lang) if res.get("winner") else None,
                "tie": res["tie"], "casting_vote": res["casting_vote"], "quorum": res["quorum"]}
        if not opened["hidden"]:
            vote["named"] = [{"name": v["name"], "choice": option_label(v["choice"], self.lang)}
                             for v in res.get("named", {}).values()]
        item_id = p.get("item")
        target = self.item(item_id) if item_id else None
        if target is not None:
            target["votes"].append(vote)
            if res["adopted"] and res.get("decision") and p["kind"] != "closure":
                target["decision"] = res["decision"]
                target["decision_hidden"] = opened["hidden"]

    def on_doors_debate_closed(self, r: Record, p: dict[str, Any]) -> None:
        self._close(r, p, debate_only=True)

    def on_doors_closed(self, r: Record, p: dict[str, Any]) -> None:
        self._close(r, p, debate_only=False)

    def _close(self, r: Record, p: dict[str, Any], *, debate_only: bool) -> None:
        self.closed = True
        item = self.items.get(str(p.get("item"))) if p.get("item") else None
        self.closures.append({"from": r["at"], "to": None, "ground": p["ground"],
                              "ground_text": ground_text(p["ground"], self.lang), "debate_only": debate_only,
                              "item": item["case_number"] if item else None, "vote": p.get("vote")})
        if not debate_only:
            self.mark_item_closed_session(p["ground"])

    def on_doors_opened(self, r: Record, p: dict[str, Any]) -> None:
        self.closed = False
        if self.closures and self.closures[-1]["to"] is None:
            self.closures[-1]["to"] = r["at"]

    def on_conflict_ruled(self, r: Record, p: dict[str, Any]) -> None:
        self.item(p["item"])["conflicts"].append({"name": p["name"], "kind": p["kind"], "recused": p["recused"],
                                                  "legal_basis": p["legal_basis"], "at": r["at"]})

    def on_stream_state(self, r: Record, p: dict[str, Any]) -> None:
        if not p["up"]:
            self.outages.append({"from": r["at"], "to": None, "reason": p.get("reason", "")})
        elif self.outages and self.outages[-1]["to"] is None:
            self.outages[-1]["to"] = r["at"]

    def on_exemption_applied(self, r: Record, p: dict[str, Any]) -> None:
        self.exemptions.append({"at": r["at"], "instrument": p["instrument"], "title": p["title"],
                                "kind": "profile", "allows": p.get("allows")})

    def on_mode_changed(self, r: Record, p: dict[str, Any]) -> None:
        self.exemptions.append({"at": r["at"], "kind": "mode", "mode": p["mode"], "instrument": p.get("instrument"),
                                "reason": p.get("reason", "")})

    def on_minutes_correction(self, r: Record, p: dict[str, Any]) -> None:
        self.corrections.append({"seq": r["seq"], "at": r["at"], "section": p.get("section", ""), "text": p["text"],
                                 "by": p.get("by", "")})

    def result(self) -> dict[str, Any]:
        items = []
        for key in self.item_order:
            it = dict(self.items[key])
            if it["opened"] is None and not it["votes"]:
                continue  # on the notice but not handled
            closed = it["closed_session"] is not None
            if self.public:
                it["title"] = it["public_title"] if closed else it["title"]
                if closed or it.get("decision_hidden"):
                    it["decision"] = None
                    it["decision_redacted"] = True
            it.pop("public_title", None)
            it.pop("decision_hidden", None)
            items.append(it)
        seated = {pid for pid, info in self.roster.items() if info["role"] in ("member", "chair", "deputy_chair")}
        never = sorted(seated - set(self.present) - set(self.absent), key=int)
        absent = list(self.absent.values()) + [
            {"person": int(pid), "name": self.roster[pid]["name"], "party": self.roster[pid].get("party", ""),
             "deputy": None} for pid in never]
        present = [p for p in self.present.values() if p["role"] != "clerk"]
        return {
            "type": "Minutes",
            "visibility": "public" if self.public else "internal",
            "lang": self.lang,
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
            "log": {"events": self.count, "last_seq": self.last["seq"] if self.last else 0,
                    "last_digest": self.last["digest"] if self.last else ""},
        }


def build(records: list[Record], *, public: bool, lang: str = "nb") -> dict[str, Any]:
    """Minutes from the event records of one meeting (ordered by seq). The log digest covered is the
    one of `meeting.ended`; corrections appended after it are listed, never merged into the text."""
    b = _Builder(public=public, lang=lang)
    ended = False
    for r in records:
        if not ended:
            b.on(r)
            b.count += 1
            b.last = r
            ended = r["type"] == "meeting.ended"
        elif r["type"] == "minutes.correction":
            b.on(r)
    return b.result()
