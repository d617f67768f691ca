"""HLS playlists and WebVTT chapters, built from the composer's segment list (pure functions).

A segment entry is a dict: `name`, `seq`, `duration` (s), `start` (aware datetime: the wall time
of its first frame, written as EXT-X-PROGRAM-DATE-TIME), `open` (made while the doors were open)
and `epoch` (which composer run wrote it; a new run means new encoders and restarted timestamps).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def _discontinuous(previous: dict[str, Any] | None, entry: dict[str, Any]) -> bool:
    # A gap in the numbering is a closed part left out of the recording; a new epoch is a
    # composer restart. Either way the timestamps jump, and the player must be told.
    return previous is not None and (entry["seq"] != previous["seq"] + 1 or entry["epoch"] != previous["epoch"])


def media_playlist(entries: list[dict[str, Any]], *, kind: str | None, ended: bool,
                   discontinuity_sequence: int = 0) -> str:
    target = max([1] + [int(e["duration"] + 0.999) for e in entries])
    first_seq = entries[0]["seq"] if entries else 0
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", f"#EXT-X-MEDIA-SEQUENCE:{first_seq}"]
    if discontinuity_sequence:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    if kind:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{kind}")
    previous = None
    for e in entries:
        if _discontinuous(previous, e):
            lines.append("#EXT-X-DISCONTINUITY")
        previous = e
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_time(e['start'])}")
        lines.append(f"#EXTINF:{e['duration']:.3f},")
        lines.append(e["name"])
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def discontinuities_before(entries: list[dict[str, Any]], index: int) -> int:
    """EXT-X-DISCONTINUITY-SEQUENCE for a live window starting at `entries[index]`."""
    return sum(1 for i in range(1, index + 1) if _discontinuous(entries[i - 1], entries[i]))


def format_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def recording_offset(recording: list[dict[str, Any]], at: dt.datetime) -> float:
    """Where wall time `at` falls on the recording's timeline (closed parts are not in it).

    A moment inside a recorded segment maps to its place there; a moment in a closed part (or
    between segments) maps to the start of the next recorded segment; a moment after the last
    one maps to the end of the recording so far.
    """
    offset = 0.0
    for e in recording:
        end = e["start"] + dt.timedelta(seconds=e["duration"])
        if at < e["start"]:
            return offset
        if at < end:
            return float(offset + (at - e["start"]).total_seconds())
        offset += e["duration"]
    return offset


def chapters_vtt(chapters: list[tuple[dt.datetime, str, str]], recording: list[dict[str, Any]]) -> str:
    """WebVTT chapters nested as WebVTT allows: an item's cue (id `item-<n>`) lasts until the next
    item, and the speeches in it (id `speech-<n>`) lie within it, each until the next chapter."""
    def ts(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    total = sum(e["duration"] for e in recording)
    marks = [(recording_offset(recording, at), title, kind) for at, title, kind in sorted(chapters, key=lambda c: c[0])]
    lines = ["WEBVTT", ""]
    for i, (start, title, kind) in enumerate(marks):
        later = [m[0] for m in marks[i + 1:] if kind == "speech" or m[2] == "item"]
        end = later[0] if later else max(total, start + 1)
        lines += [f"{kind}-{i + 1}", f"{ts(start)} --> {ts(max(end, start + 0.001))}", title, ""]
    return "\n".join(lines)
