"""Each event's change to the live state and to the public state document, as a JSON Patch.

Clients hold a state and fold each event's patch into it instead of fetching the whole state again
(one ballot in a 60-member meeting used to cost 60 state reads). The patch is computed once per
event where the event is written (`services/log.py`), never per socket, and names what changed in
the server's own document: the live state folded by `projection.py` (with `presence.py`'s facts in
it) and the public document built by `visibility.state_document`. No client re-derives a fact.

A patch is a list of RFC 6902 operations at most two levels deep: a top-level key, one entry of a
top-level object (`/votes/3`, `/presence/7`), or an item appended to a top-level list (`/questions/-`);
a list that changed otherwise is replaced whole. `"path": ""` replaces the whole document.

Diffs compare canonical JSON texts ("prints"). The prints of the last event are remembered per
meeting and keyed by the log's digest, which names one exact history: a transaction that rolled
back, or an event another process wrote, simply misses and the prints are taken again. The public
document is diffed against the previous event's document; keys that changed in an event the public
does not see are carried whole by the next public event, so a viewer that holds the document as of
any seq since the last public event folds to exactly the current one.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

Op = dict[str, Any]
# top-level key -> its JSON text; for an object the JSON texts of its entries; for a list its length
# and JSON text (an appended list's text starts with the old text but its closing bracket)
Prints = dict[str, "str | dict[str, str] | tuple[int, str]"]

MEMO_SIZE = 32  # meetings whose last prints this process remembers


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _copy(value: Any) -> Any:
    # A snapshot in the server's own key order (candidates are listed as the server listed them);
    # later events in the same transaction fold into the state in place.
    return json.loads(json.dumps(value, ensure_ascii=False))


def _print(value: Any) -> str | dict[str, str] | tuple[int, str]:
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return (len(value), _text(value))
    return _text(value)


def _appended(old: tuple[int, str], new: tuple[int, str]) -> bool:
    (n, was), (m, now) = old, new
    if m <= n:
        return False
    return n == 0 or (now.startswith(was[:-1]) and now[len(was) - 1] == ",")


def prints(doc: dict[str, Any]) -> Prints:
    return {key: _print(value) for key, value in doc.items()}


def _pointer(*keys: str) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


def diff(before: Prints, after: Prints, doc: dict[str, Any], *,
         whole: set[str] | frozenset[str] = frozenset()) -> list[Op]:
    """The operations that turn the document printed as `before` into `doc` (printed as `after`).

    Keys in `whole` are replaced whole even when their prints are equal (see the public document).
    """
    ops: list[Op] = []
    for key, new in after.items():
        old = before.get(key)
        if old is None:
            ops.append({"op": "add", "path": _pointer(key), "value": _copy(doc[key])})
        elif key in whole or type(new) is not type(old):
            ops.append({"op": "replace", "path": _pointer(key), "value": _copy(doc[key])})
        elif isinstance(new, tuple):
            assert isinstance(old, tuple)
            if new == old:
                continue
            if _appended(old, new):  # the speakers list, the questions: appended to
                ops.extend({"op": "add", "path": _pointer(key, "-"), "value": _copy(item)}
                           for item in doc[key][old[0]:])
            else:
                ops.append({"op": "replace", "path": _pointer(key), "value": _copy(doc[key])})
        elif isinstance(new, dict):
            assert isinstance(old, dict)
            for sub, text in new.items():
                was = old.get(sub)
                if was != text:
                    ops.append({"op": "add" if was is None else "replace", "path": _pointer(key, sub),
                                "value": _copy(doc[key][sub])})
            ops.extend({"op": "remove", "path": _pointer(key, sub)} for sub in old if sub not in new)
        elif new != old:
            ops.append({"op": "replace", "path": _pointer(key), "value": _copy(doc[key])})
    ops.extend({"op": "remove", "path": _pointer(key)} for key in before if key not in after)
    return ops


def apply(doc: dict[str, Any], ops: list[Op]) -> dict[str, Any]:
    """Fold a patch into `doc` (in place; returns the document). The mirror of fold.js, for tests and benches."""
    for op in ops:
        if op["path"] == "":
            doc = _copy(op["value"])
            continue
        keys = [k.replace("~1", "/").replace("~0", "~") for k in op["path"][1:].split("/")]
        target = doc
        for key in keys[:-1]:
            target = target[key]
        if op["op"] == "remove":
            del target[keys[-1]]
        elif isinstance(target, list) and keys[-1] == "-":
            target.append(_copy(op["value"]))
        else:
            target[keys[-1]] = _copy(op["value"])
    return doc


def top_keys(ops: list[Op]) -> set[str]:
    return {op["path"][1:].split("/")[0].replace("~1", "/").replace("~0", "~") for op in ops}


@dataclass
class _Memo:
    digest: str  # the log's last digest: the exact history these prints describe
    member: Prints
    public: Prints
    # Top-level keys of the public document changed by events the public did not see since its last
    # event; None when unknown (the history before this process took prints).
    public_unseen: set[str] | None = field(default_factory=set)
    # Person id -> the commands that person may send now (allowed.py), as last sent; None when unknown.
    allowed: dict[str, list[str]] | None = None


_memo: OrderedDict[int, _Memo] = OrderedDict()
_lock = threading.Lock()


def recall(meeting_id: int, digest: str) -> _Memo | None:
    """What this process remembers of the meeting as of `digest`, or None."""
    with _lock:
        memo = _memo.get(meeting_id)
        if memo is None or memo.digest != digest:
            return None
        _memo.move_to_end(meeting_id)
        return memo


@dataclass(frozen=True)
class Patches:
    member: list[Op]
    public: list[Op] | None  # None for an event the public does not see
    # Person id -> that person's own patch (`/allowed`), only for those whose part changed.
    personal: dict[str, list[Op]] = field(default_factory=dict)


def personal_patches(before: dict[str, list[str]] | None, after: dict[str, list[str]]) -> dict[str, list[Op]]:
    """Each person's `allowed` that changed (everyone's when `before` is unknown), replaced whole."""
    return {pid: [{"op": "replace", "path": "/allowed", "value": list(commands)}]
            for pid, commands in after.items() if before is None or before.get(pid) != commands}


def advance(*, meeting_id: int, memo: _Memo | None, member_before: Prints, digest: str, state: dict[str, Any],
            public_doc: dict[str, Any], public_event: bool,
            allowed: dict[str, list[str]] | None = None) -> Patches:
    """The patches of the event that moved the meeting to `digest`; remembers the new prints.

    `member_before` are the prints of the live state before the event (`memo.member` when recalled);
    `allowed` each person's commands after it, whose changes become the personal patches.
    """
    member_after = prints(state)
    member_ops = diff(member_before, member_after, state)
    public_after = prints(public_doc)
    unseen: set[str] | None
    if memo is None:
        unseen = None
        changed: list[Op] = []
    else:
        changed = diff(memo.public, public_after, public_doc)
        unseen = None if memo.public_unseen is None else memo.public_unseen | top_keys(changed)
    public_ops: list[Op] | None = None
    if public_event:
        if unseen is None:  # the viewer's copy may be anything since the last public event: send it all
            public_ops = [{"op": "replace", "path": "", "value": _copy(public_doc)}]
        elif memo is not None and memo.public_unseen:
            public_ops = diff(memo.public, public_after, public_doc, whole=memo.public_unseen)
        else:
            public_ops = changed
        unseen = set()
    personal = personal_patches(memo.allowed if memo else None, allowed) if allowed is not None else {}
    with _lock:
        _memo[meeting_id] = _Memo(digest=digest, member=member_after, public=public_after, public_unseen=unseen,
                                  allowed=allowed)
        _memo.move_to_end(meeting_id)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return Patches(member=member_ops, public=public_ops, personal=personal)


def forget() -> None:
    """Drop every remembered print (tests whose databases reuse meeting ids)."""
    with _lock:
        _memo.clear()
