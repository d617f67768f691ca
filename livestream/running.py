"""The public-stream composers that run in this process, by meeting.

The bridge starts and stops them (in the media worker); the WebRTC viewers' signalling looks here:
a composer in this process answers its viewers itself (the embedded mode), otherwise the offer is
relayed to the media worker that runs it.
"""

from __future__ import annotations

from .composer import Composer

composers: dict[int, Composer] = {}
