"""§ 11-7 (4): whether an exemption profile covers a meeting, decided in one place.

A profile covers a meeting when it is enabled and the meeting's scheduled date (in the project's
time zone) lies in its validity window, both ends included. When a relaxation is *used* (a mode
change, a motion to close the doors under § 11-5 (2), opening or adding such an item, making such
a meeting remote), the moment of use must lie in the window as well: a regulation that has lapsed
relaxes nothing, whatever the meeting's date. The REST API, the services and the Django admin
(`Meeting.clean`, `AgendaItem.clean`) all ask `profile_coverage`.

Profiles are not tied to bodies: the regulations they model applied to every elected body of every
municipality (LAW items 28-30), so the meeting's body plays no part here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from .models import ExemptionProfile, Meeting

# What a profile may allow (LAW item 31), the flag that says so, and the words for a refusal.
ALLOWS: dict[str, tuple[str, str]] = {
    "audio_only": ("allows_audio_only", "audio-only meetings (members who hear but do not see each other, "
                                         "§ 11-7 (2))"),
    "no_public_stream": ("allows_no_public_stream", "a meeting without a public stream (§ 11-5 (1))"),
    "closed_11_5_2_remote": ("allows_closed_11_5_2_remote", "handling a case that must be closed under "
                                                             "§ 11-5 (2) in a remote meeting (§ 11-7 (3))"),
}


def profile_coverage(profile: ExemptionProfile | None, meeting: Meeting, *, allows: str | None = None,
                     at: dt.datetime | None = None) -> str | None:
    """None when `profile` covers `meeting` (and allows `allows`, and is in force `at` the moment of
    use, if given); otherwise the reason, in words that name the dates."""
    if allows is not None and allows not in ALLOWS:
        raise ValueError(f"unknown exemption {allows!r}; use one of {', '.join(ALLOWS)}")
    if profile is None:
        return "no exemption profile is applied to this meeting (kommuneloven § 11-7 (4))"
    window = f"valid {profile.valid_from.isoformat()} to {profile.valid_to.isoformat()}"
    if not profile.enabled:
        return f"{profile.instrument} is not enabled ({window}); kommuneloven § 11-7 (4)"
    if meeting.scheduled_start is None:
        return f"{profile.instrument} cannot cover a meeting without a date ({window}); kommuneloven § 11-7 (4)"
    day = timezone.localdate(meeting.scheduled_start)
    if not profile.valid_from <= day <= profile.valid_to:
        return (f"{profile.instrument} is not in force on {day.isoformat()}, the date of the meeting ({window}); "
                "kommuneloven § 11-7 (4)")
    if at is not None:
        used = timezone.localdate(at)
        if not profile.valid_from <= used <= profile.valid_to:
            return (f"{profile.instrument} is not in force on {used.isoformat()}, when it is used ({window}); "
                    "kommuneloven § 11-7 (4)")
    if allows is not None:
        flag, words = ALLOWS[allows]
        if not getattr(profile, flag):
            return f"{profile.instrument} does not allow {words}; kommuneloven § 11-7 (4)"
    return None
