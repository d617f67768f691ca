"""The time the meeting services stamp the log with.

Always the wall clock, except while a past meeting is replayed through the real services (the
demo council's history in `seed_demo`, benches), which must be dated as it happened. The event
time is part of what the hash chain covers, so it has to be right when the event is written: it
cannot be rewritten afterwards.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone

_replay_clock: contextvars.ContextVar[Callable[[], dt.datetime] | None] = contextvars.ContextVar(
    "meeting_replay_clock", default=None)


def now() -> dt.datetime:
    """Aware UTC time for a log event (or a notice's publication)."""
    clock = _replay_clock.get()
    return clock() if clock is not None else timezone.now()


@contextmanager
def replaying(clock: Callable[[], dt.datetime]) -> Iterator[None]:
    """Stamp what the services write inside this block with `clock()` (aware, UTC)."""
    token = _replay_clock.set(clock)
    try:
        yield
    finally:
        _replay_clock.reset(token)
