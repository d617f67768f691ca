"""HLS playlists and WebVTT chapters, built from the composer's segment list (pure functions).

A segment entry is a dict: `name`, `seq`, `duration` (s), `start` (aware datetime: the wall time
of its first frame, written as EXT-X-PROGRAM-DATE-TIME), `open` (made while the doors were open)
and `epoch` (which composer run wrote it; a new run means new encoders and restarted timestamps).

The live playlist is Low-Latency HLS (RFC 8216bis): each segment is also written as a few partial
segments (`part_<seq>_<n>.ts`, EXT-X-PART), the segment in progress is announced by its parts so
far and an EXT-X-PRELOAD-HINT for the part being written, and EXT-X-SERVER-CONTROL tells players
they may ask for the next part with `_HLS_msn`/`_HLS_part` and have the request held until it
exists (views.py). Players without LL-HLS ignore those tags and play the full segments.

The recording lists groups of consecutive segments (`rec_<first>_<last>.ts`, about
RECORDING_GROUP_SECONDS each, served by views.py as the segments' files one after another), so an
8-hour meeting's recording is some 4,800 entries, not 28,800. The timeline is the segments'
(`recording_offset`): a group's duration is the sum of its segments'.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

RECORDING_GROUP_SECONDS = 6.0
GROUP_MAX_SEGMENTS = 64  # a group name spanning more is not one the composer wrote
GROUP_NAME = re.compile(r"^rec_(\d{5,9})_(\d{5,9})\.ts$")
PART_NAME = re.compile(r"^part_(\d{5,9})_(\d{1,3})\.ts$")
PARTS_LISTED_SEGMENTS = 3  # parts stay listed for the last three target durations (RFC 8216bis 4.4.4.9)


def _discontinuous(previous: dict[str, Any] | None, entry: dict[str, Any]) -> bool:
    # A gap in the numbering is a closed part left out of the recording; a new epoch is a
    # composer restart. Either way the timestamps jump, and the player must be told.
    # (A recording group's successor follows its last segment.)
    return previous is not None and (entry["seq"] != previous.get("last_seq", previous["seq"]) + 1
                                     or entry["epoch"] != previous["epoch"])


def part_name(seq: int, index: int) -> str:
    return f"part_{seq:05d}_{index}.ts"


def media_playlist(entries: list[dict[str, Any]], *, kind: str | None, ended: bool,
                   discontinuity_sequence: int = 0, parts: dict[int, list[dict[str, Any]]] | None = None,
                   part_target: float | None = None, pending: dict[str, Any] | None = None,
                   hint: str | None = None, target_at_least: int = 1, media_sequence: int | None = None) -> str:
    """A media playlist of `entries`. With `part_target` it is a low-latency live playlist: the
    parts (`parts[seq]`: dicts with `name`, `duration`, `independent`) of the last few segments,
    then `pending`, the segment in progress (`seq`, `start`, `epoch`), with its parts so far, and
    `hint`, the part being written."""
    target = max([target_at_least] + [int(e["duration"] + 0.999) for e in entries])
    first_seq = entries[0]["seq"] if entries else (pending["seq"] if pending else 0)
    if media_sequence is not None:
        first_seq = media_sequence
    low_latency = part_target is not None and not ended
    parts = parts or {}
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{6 if low_latency else 3}", f"#EXT-X-TARGETDURATION:{target}"]
    if low_latency and part_target is not None:
        part_target = math.ceil(part_target * 1000) / 1000  # never below a part's rounded duration
        # PART-HOLD-BACK: three part targets, the least the specification recommends; a player
        # starts that far behind the newest part.
        lines.append(f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={3 * part_target:.3f}")
        lines.append(f"#EXT-X-PART-INF:PART-TARGET={part_target:.3f}")
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first_seq}")
    if discontinuity_sequence:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    if kind:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{kind}")
    listed_from = entries[-PARTS_LISTED_SEGMENTS]["seq"] if len(entries) >= PARTS_LISTED_SEGMENTS else first_seq

    def part_lines(seq: int) -> list[str]:
        if not low_latency or seq < listed_from:
            return []
        return [f'#EXT-X-PART:DURATION={p["duration"]:.3f},URI="{p["name"]}"'
                + (",INDEPENDENT=YES" if p["independent"] else "") for p in parts.get(seq, [])]

    previous = None
    for e in entries:
        if _discontinuous(previous, e):
            lines.append("#EXT-X-DISCONTINUITY")
        previous = e
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_time(e['start'])}")
        lines += part_lines(e["seq"])
        lines.append(f"#EXTINF:{e['duration']:.3f},")
        lines.append(e["name"])
    if low_latency and pending is not None:
        if _discontinuous(previous, pending):
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_time(pending['start'])}")
        lines += part_lines(pending["seq"])
        if hint:
            lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{hint}"')
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def recording_groups(recording: list[dict[str, Any]], *, ended: bool,
                     group_seconds: float = RECORDING_GROUP_SECONDS) -> list[dict[str, Any]]:
    """The recording's segments in groups of about `group_seconds`, as playlist entries. A group
    never spans a discontinuity (a closed part, a composer restart). While the recording grows,
    the last group is left out until it is complete, so the EVENT playlist only ever appends."""
    groups: list[list[dict[str, Any]]] = []
    complete: list[bool] = []
    for e in recording:
        if groups and not complete[-1] and not _discontinuous(groups[-1][-1], e):
            groups[-1].append(e)
        else:
            if groups:
                complete[-1] = True
            groups.append([e])
            complete.append(False)
        if sum(g["duration"] for g in groups[-1]) >= group_seconds - 1e-6 or len(groups[-1]) >= GROUP_MAX_SEGMENTS:
            complete[-1] = True
    entries = []
    for group, done in zip(groups, complete, strict=True):
        if not done and not ended:
            break
        first, last = group[0], group[-1]
        entries.append({"name": f"rec_{first['seq']:05d}_{last['seq']:05d}.ts", "seq": first["seq"],
                        "duration": sum(g["duration"] for g in group), "start": first["start"],
                        "epoch": first["epoch"], "open": True, "last_seq": last["seq"]})
    return entries


def recording_playlist(recording: list[dict[str, Any]], *, ended: bool) -> str:
    # Neither the target duration nor the first media sequence number of a playlist may change:
    # an empty one already has the groups' target, and the groups are numbered from 0.
    return media_playlist(recording_groups(recording, ended=ended), kind="VOD" if ended else "EVENT", ended=ended,
                          target_at_least=math.ceil(RECORDING_GROUP_SECONDS), media_sequence=0)


def group_segments(name: str) -> tuple[int, int] | None:
    """(first, last) segment numbers of a recording group's name, or None if it is not one."""
    match = GROUP_NAME.match(name)
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    return (first, last) if first <= last < first + GROUP_MAX_SEGMENTS else None


@dataclass(frozen=True)
class LiveEdge:
    """Where a live playlist ends: the last complete segment, the parts of the one in progress."""

    last_msn: int  # -1 before the first complete segment
    parts: int  # parts listed after it, of segment last_msn + 1
    ended: bool
    target: float


def live_edge(text: str) -> LiveEdge:
    first, count, parts, ended, target = 0, 0, 0, False, 1.0
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            first = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            count, parts = count + 1, 0
        elif line.startswith("#EXT-X-PART:"):
            parts += 1
        elif line == "#EXT-X-ENDLIST":
            ended = True
    return LiveEdge(last_msn=first + count - 1, parts=parts, ended=ended, target=target)


def edge_reached(edge: LiveEdge, msn: int, part: int | None) -> bool:
    """Does a playlist ending at `edge` hold segment `msn` (with part `part`), or anything later?"""
    if edge.ended or msn <= edge.last_msn:
        return True
    return part is not None and msn == edge.last_msn + 1 and part < edge.parts


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
