"""React to the log: when a meeting ends, transcribe its recording (not registered yet).

Registering it (captions/apps.py, `events.add_listener(on_event)`) would transcribe in the
process that wrote the event; a meeting of hours takes minutes of CPU, so it belongs on a worker
(the media worker or a task queue). It never raises: the job records what went wrong.
"""

from __future__ import annotations

from typing import Any


def on_event(event: Any) -> None:
    if event.type != "meeting.ended":
        return
    from .services import captions_transcribe

    captions_transcribe(meeting_id=event.meeting_id)
