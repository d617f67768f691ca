"""The only writer of the meeting log: append with a hash chain, fold into the live state, broadcast.

Callers hold the meeting row lock (`meeting_lock`) inside `transaction.atomic()`, so sequence numbers
are gapless and two services never interleave on one meeting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .. import allowed, clock, events, projection, public_state, state_patch
from ..exceptions import LogTampered, NotFound
from ..models import Meeting, MeetingEvent, Person
from ..visibility import public_payload

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_digest(*, meeting_id: int, seq: int, type: str, at: str, actor: int | None, payload: dict[str, Any],
                 prev_digest: str) -> str:
    body = canonical_json({"meeting": meeting_id, "seq": seq, "type": type, "at": at, "actor": actor,
                           "payload": payload, "prev": prev_digest})
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class SeqWatch:
    """The log's last seq as the services run inside `watch_seq()` left it (None: no meeting locked)."""

    seq: int | None = None

    def saw(self, seq: int) -> None:
        self.seq = seq if self.seq is None else max(self.seq, seq)


_watch: ContextVar[SeqWatch | None] = ContextVar("log_seq_watch", default=None)


@contextmanager
def watch_seq() -> Iterator[SeqWatch]:
    """Note the last seq each locked read and each append in this block sees, so that a caller knows
    the seq its command wrote (or, if it wrote nothing, the one it saw) without reading it again."""
    watch = SeqWatch()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def _saw(seq: int) -> None:
    watch = _watch.get()
    if watch is not None:
        watch.saw(seq)


def meeting_lock(meeting_id: int) -> Meeting:
    """Lock the meeting row for the rest of the transaction (a no-op lock on SQLite, which
    serialises writers anyway with IMMEDIATE transactions)."""
    try:
        meeting = Meeting.objects.select_for_update().select_related("body").get(id=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id}) from None
    _saw(meeting.last_seq)
    return meeting


def log_append(*, meeting: Meeting, type: str, payload: dict[str, Any], actor: Person | None = None) -> MeetingEvent:
    """Append one event. Must run inside transaction.atomic() with `meeting` locked.

    Updates `meeting.live_state` in place: a caller holding a reference to it sees the event folded in.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("log_append must run inside transaction.atomic()")
    # Round-trip through JSON so that what we hash is exactly what the database will give back.
    canonical = canonical_json(payload)
    payload = json.loads(canonical)
    seq = meeting.last_seq + 1
    prev = meeting.last_digest or GENESIS
    at = clock.now()  # the wall clock, or the replay clock of a past meeting (meetings/clock.py)
    actor_id = actor.id if actor else None
    digest = event_digest(meeting_id=meeting.id, seq=seq, type=type, at=at.isoformat(), actor=actor_id,
                          payload=payload, prev_digest=prev)
    # Fold in place: `meeting` was just read under the row lock, so its live_state is this
    # transaction's own copy (copying the whole state per event cost more than the event). The state
    # gets its own copy of the payload, so folding later events never changes this event's message.
    record = {"seq": seq, "type": type, "at": at.isoformat(), "actor": actor_id, "payload": json.loads(canonical)}
    # What the state was before this event, for the patch clients fold (state_patch.py): remembered
    # from the previous event by its digest, or printed now, before the fold changes it in place.
    memo = state_patch.recall(meeting.id, prev)
    before = memo.member if memo else state_patch.prints(meeting.live_state or projection.initial_state())
    new_state = projection.apply_in_place(meeting.live_state or projection.initial_state(), record)
    public = public_payload(type, payload, new_state)
    event = MeetingEvent.objects.create(
        meeting=meeting, seq=seq, type=type, at=at, actor=actor, payload=payload,
        public_payload=public, prev_digest=prev, digest=digest,
    )
    # Public clients see a subsequence of the log; the previous public seq lets them spot a gap.
    event.prev_public_seq = new_state.get("last_public_seq", 0)
    if public is not None:
        new_state["last_public_seq"] = seq
    meeting.live_state = new_state
    meeting.last_seq = seq
    meeting.last_digest = digest
    meeting.save(update_fields=["live_state", "last_seq", "last_digest", "state"])
    patches = state_patch.advance(meeting_id=meeting.id, memo=memo, member_before=before, digest=digest,
                                  state=new_state, public_doc=public_state.build(meeting),
                                  public_event=public is not None,
                                  allowed=allowed.for_participants(meeting, new_state))
    _saw(seq)
    events.broadcast_event_on_commit(event, state_patch=patches.member, public_state_patch=patches.public,
                                     personal_patches=patches.personal)
    return event


def event_record(event: MeetingEvent) -> dict[str, Any]:
    """The event as `projection.replay` takes it; `public` lets the replay rebuild last_public_seq."""
    return {"seq": event.seq, "type": event.type, "at": event.at.isoformat(), "actor": event.actor_id,
            "payload": event.payload, "public": event.public_payload is not None}


def iter_events(meeting_id: int, *, after: int = 0) -> Iterator[MeetingEvent]:
    return MeetingEvent.objects.filter(meeting_id=meeting_id, seq__gt=after).order_by("seq").iterator(chunk_size=2000)


def log_verify(*, meeting_id: int) -> int:
    """Check the hash chain and sequence of a meeting's log; return the number of events.

    Raises LogTampered naming the first bad event.
    """
    if not Meeting.objects.filter(id=meeting_id).exists():
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    prev = GENESIS
    count = 0
    for count, event in enumerate(iter_events(meeting_id), start=1):
        if event.seq != count:
            raise LogTampered("event #%(seq)s: expected sequence number %(count)s (an event is missing)",
                params={"seq": event.seq, "count": count})
        if event.prev_digest != prev:
            raise LogTampered("event #%(seq)s: does not chain to the event before it", params={"seq": event.seq})
        digest = event_digest(meeting_id=meeting_id, seq=event.seq, type=event.type, at=event.at.isoformat(),
                              actor=event.actor_id, payload=event.payload, prev_digest=event.prev_digest)
        if digest != event.digest:
            raise LogTampered("event #%(seq)s (%(type)s): content does not match its digest",
                params={"seq": event.seq, "type": event.type})
        prev = event.digest
    last = Meeting.objects.values_list("last_digest", flat=True).get(id=meeting_id)
    if count and last != prev:
        raise LogTampered("the meeting's last digest does not match the end of its log (events were removed)")
    return count
