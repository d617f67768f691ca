"""A meeting run through the real services on a clock the test controls, for the captions tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from meetings import clock
from tests.factories import Council, run
from tests.helpers import close_doors


class SteppingClock:
    """Each log event one step after the one before, unless the test moves the clock on."""

    def __init__(self, start: dt.datetime, step: float = 0.01) -> None:
        self.now, self.step = start, dt.timedelta(seconds=step)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now

    def at(self, moment: dt.datetime) -> None:
        self.now = moment

    def replaying(self) -> Any:
        return clock.replaying(self)


def speak(council: Council, meeting: Any, user: Any) -> None:
    """`user` asks for the floor and the chair gives it."""
    run(user, meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")


def close_and_reopen(council: Council, meeting: Any, inside: Any) -> None:
    close_doors(council, meeting)
    inside()
    run(council.chair, meeting, "doors.open", reason="Ferdig")
