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

from .exceptions import Text

if TYPE_CHECKING:
    from .models import ExemptionProfile, Meeting

# What a profile may allow (LAW item 31), the flag that says so, and the words for a refusal.
ALLOWS: dict[str, tuple[str, Text]] = {
    "audio_only": ("allows_audio_only", Text("audio-only meetings (members who hear but do not see each "
                                                      "other, § 11-7 (2))")),
    "no_public_stream": ("allows_no_public_stream", Text("a meeting without a public stream (§ 11-5 (1))")),
    "closed_11_5_2_remote": ("allows_closed_11_5_2_remote", Text(
        "handling a case that must be closed under § 11-5 (2) in a remote meeting (§ 11-7 (3))")),
}


def profile_coverage(profile: ExemptionProfile | None, meeting: Meeting, *, allows: str | None = None,
                     at: dt.datetime | None = None) -> Text | None:
    """None when `profile` covers `meeting` (and allows `allows`, and is in force `at` the moment of
    use, if given); otherwise the reason, in words that name the dates, in the active language."""
    if allows is not None and allows not in ALLOWS:
        raise ValueError(f"unknown exemption {allows!r}; use one of {', '.join(ALLOWS)}")
    if profile is None:
        return Text("no exemption profile is applied to this meeting (kommuneloven § 11-7 (4))")
    window = Text("valid %(start)s to %(end)s", {"start": profile.valid_from.isoformat(),
                                                 "end": profile.valid_to.isoformat()})
    named = {"instrument": profile.instrument, "window": window}
    if not profile.enabled:
        return Text("%(instrument)s is not enabled (%(window)s); kommuneloven § 11-7 (4)", named)
    if meeting.scheduled_start is None:
        return Text("%(instrument)s cannot cover a meeting without a date (%(window)s); kommuneloven § 11-7 (4)",
                    named)
    day = timezone.localdate(meeting.scheduled_start)
    if not profile.valid_from <= day <= profile.valid_to:
        return Text("%(instrument)s is not in force on %(day)s, the date of the meeting (%(window)s); "
                    "kommuneloven § 11-7 (4)", {**named, "day": day.isoformat()})
    if at is not None:
        used = timezone.localdate(at)
        if not profile.valid_from <= used <= profile.valid_to:
            return Text("%(instrument)s is not in force on %(day)s, when it is used (%(window)s); "
                        "kommuneloven § 11-7 (4)", {**named, "day": used.isoformat()})
    if allows is not None:
        flag, words = ALLOWS[allows]
        if not getattr(profile, flag):
            return Text("%(instrument)s does not allow %(words)s; kommuneloven § 11-7 (4)", {**named, "words": words})
    return None
