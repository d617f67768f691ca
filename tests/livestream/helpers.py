"""Driving a meeting to closed doors through the real services, and reading its log, for the
public-stream operations tests."""

from __future__ import annotations

from typing import Any, Self

from meetings.events import add_listener, event_message, remove_listener
from meetings.models import MeetingEvent


def events_of(meeting_id: int, kind: str) -> list[MeetingEvent]:
    return list(MeetingEvent.objects.filter(meeting_id=meeting_id, type=kind).order_by("seq"))


class Captured:
    """Committed log events, in the form the media worker receives them."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, event: Any) -> None:
        self.messages.append(event_message(event))

    def __enter__(self) -> Self:
        add_listener(self)
        return self

    def __exit__(self, *exc: object) -> None:
        remove_listener(self)

    def last(self, kind: str) -> dict[str, Any]:
        return [m for m in self.messages if m["event"] == kind][-1]
