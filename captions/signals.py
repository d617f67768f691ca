"""What other parts of the platform may listen to without importing the captions' services.

`cues_changed` is sent (with `meeting_id`) after a meeting's public captions change: a job
finished with new cues, or a clerk corrected or approved a cue. The archive's search index
listens to it, so that a search finds what the public page shows.
"""

from __future__ import annotations

from django.dispatch import Signal

cues_changed = Signal()  # kwargs: meeting_id
