"""The public state of a meeting: one versioned document for any number of viewers (§ 11-5).

Built from the live state, never from member-only data: while the doors are closed only the fact,
the legal ground and the item's public title are shown. The document is keyed by the log's
sequence number, so it is built once per change however many viewers ask (in-process LRU here;
in production the JSON view sits behind the HTTP cache with the seq as ETag).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .legal import ground_labels
from .models import Meeting

_cache: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 256


def _ground(ground: str | None) -> dict[str, str] | None:
    if not ground:
        return None
    nb, en = ground_labels(ground)
    return {"code": ground, "nb": nb, "en": en}


def build(meeting: Meeting) -> dict[str, Any]:
    s = meeting.live_state or {}
    doors = s.get("doors", {"closed": False})
    closed = bool(doors.get("closed"))
    item_id = s.get("current_item")
    item = s.get("items", {}).get(item_id) if item_id else None
    doc: dict[str, Any] = {
        "seq": meeting.last_seq,
        "meeting": {"id": meeting.id, "title": meeting.title, "body": meeting.body.name, "form": meeting.form,
                    "state": meeting.state, "scheduled_start": meeting.scheduled_start.isoformat(),
                    "mode": s.get("meeting", {}).get("mode", "normal")},
        "doors": {"closed": closed, "ground": _ground(doors.get("ground")) if closed else None,
                  "since": doors.get("since"), "debate_only": bool(doors.get("debate_only"))},
        "closure_motion": ({"ground": _ground(s["closure_motion"]["ground"])} if s.get("closure_motion") else None),
        "current_item": None,
        "speaker": None,
        "speakers": [],
        "proposals": [],
        "votes": [],
        "present": sorted((a["name"] for a in s.get("attendance", {}).values() if a.get("present")
                           and a.get("role") != "clerk")),
        "stream": {"up": s.get("stream", {}).get("up", True)},
        "live_url": f"/live/{meeting.id}/index.m3u8",
    }
    if item:
        # Always the public title (the notice's, § 11-3): it is the real title unless the clerk set one
        # for an item planned for closed doors, whose real title may itself reveal exempt information.
        doc["current_item"] = {"id": int(item_id), "case_number": item.get("case_number"),
                               "title": item.get("public_title") or item.get("title")}
    if not closed:
        floor = s.get("floor")
        if floor:
            doc["speaker"] = {"name": floor["name"], "kind": floor["kind"], "since": floor["since"],
                              "limit": floor["limit"]}
        doc["speakers"] = [{"name": e["name"], "kind": e["kind"]} for e in s.get("speakers", [])]
        doc["proposals"] = [{"id": p["id"], "by": p["by_name"], "text": p["text"], "withdrawn": p["withdrawn"]}
                            for p in s.get("proposals", {}).values()
                            if p["item"] == item_id and not p.get("closed")]
    for v in s.get("votes", {}).values():
        if v.get("closed") and v["kind"] != "closure":
            continue  # a vote held behind closed doors is not public live (the minutes say what may be)
        entry: dict[str, Any] = {"vote": v["vote"], "title": v["title"], "kind": v["kind"], "state": v["state"],
                                 "cast": len(v["ballots"]), "eligible": len(v["eligible"])}
        if v["state"] == "closed" and v.get("result"):
            r = v["result"]
            entry["result"] = {k: r[k] for k in ("counts", "adopted", "winner", "tie", "casting_vote", "decision",
                                                 "quorum")}
            entry["result"]["named"] = {d["name"]: d["choice"] for d in r.get("named", {}).values()}
        doc["votes"].append(entry)
    doc["votes"] = doc["votes"][-10:]
    return doc


def _cached(key: tuple[int, int]) -> dict[str, Any] | None:
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
        return cached


def public_state(meeting: Meeting) -> dict[str, Any]:
    key = (meeting.id, meeting.last_seq)
    cached = _cached(key)
    if cached is not None:
        return cached
    doc = build(meeting)
    with _lock:
        _cache[key] = doc
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return doc


def public_state_for(meeting_id: int, *, seq: int | None = None) -> dict[str, Any] | None:
    """The public document of a published meeting, or None. `seq` is the last_seq if already read.

    A hit costs one small query for the seq (none when given); only a miss loads the live state.
    """
    published = Meeting.objects.filter(id=meeting_id).exclude(state="draft")
    if seq is None:
        seq = published.values_list("last_seq", flat=True).first()
        if seq is None:
            return None
    cached = _cached((meeting_id, seq))
    if cached is not None:
        return cached
    meeting = published.select_related("body").first()
    return public_state(meeting) if meeting else None
