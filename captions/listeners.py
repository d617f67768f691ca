"""React to the log: when a meeting ends, its captions job is queued (registered in apps.py).

Only the cheap part runs here, in the request that ends the meeting: the job row says "queued".
A meeting of hours takes minutes of CPU to transcribe, so a worker does that (worker.py: a
process beside the web server in the embedded default, `manage.py run_captions_worker` in
production), once the recording is finalised. It never raises: the minutes and the recording
do not wait for captions.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def on_event(event: Any) -> None:
    if event.type != "meeting.ended":
        return
    from .services import captions_queue

    try:
        captions_queue(meeting_id=event.meeting_id)
    except Exception:  # captions are never a reason for ending a meeting to fail
        log.exception("could not queue the captions of meeting %s", event.meeting_id)
