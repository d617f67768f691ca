"""Each vote in the minutes, and the decision it made, links to its moment in the public recording
(`/meetings/<id>/?t=<seconds>`, the recording's timeline as the chapters and captions use it), only
where the recording holds that moment: never in a closed part, never without a recording."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from livestream.health import stream_dir
from livestream.playlists import recording_offset
from meetings.models import MeetingEvent
from tests.captions.helpers import SteppingClock
from tests.factories import make_council, make_meeting, run, start_meeting
from tests.helpers import close_doors

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def _vote_all(council, meeting, vote: int) -> None:
    from meetings.models import Meeting

    eligible = Meeting.objects.get(id=meeting.id).live_state["votes"][str(vote)]["eligible"]
    for user in [council.chair, *council.members]:
        if str(council.pid(user)) in eligible:
            run(user, meeting, "vote.cast", vote=vote, choice="for")


@pytest.fixture
def ended(settings, tmp_path, django_capture_on_commit_callbacks):
    """A vote in open session on item 1; the doors close on item 2 and its vote is held behind them."""
    settings.LIVESTREAM_ROOT = tmp_path
    council = make_council(seats=3, slug="capm")
    meeting = make_meeting(council, items=2)
    items = list(meeting.items.order_by("order"))
    clock = SteppingClock(T0, step=1.0)  # a second between events: moments a second apart
    with django_capture_on_commit_callbacks(execute=True), clock.replaying():
        start_meeting(council, meeting)
        run(council.chair, meeting, "item.open", item_id=items[0].id)
        vote = run(council.chair, meeting, "vote.open", title="Innstillingen")
        _vote_all(council, meeting, vote)
        run(council.chair, meeting, "vote.close", vote=vote)
        run(council.chair, meeting, "item.close", item_id=items[0].id)
        run(council.chair, meeting, "item.open", item_id=items[1].id)
        close_doors(council, meeting)
        vote = run(council.chair, meeting, "vote.open", title="Lukket votering")
        _vote_all(council, meeting, vote)
        run(council.chair, meeting, "vote.close", vote=vote)
        run(council.chair, meeting, "doors.open", reason="Ferdig")
        run(council.chair, meeting, "item.close", item_id=items[1].id)
        run(council.chair, meeting, "meeting.end")
    return council, meeting


def _at(meeting, kind: str) -> list[dt.datetime]:
    return list(MeetingEvent.objects.filter(meeting=meeting, type=kind).order_by("seq").values_list("at", flat=True))


def _record(meeting) -> list[dict]:
    """The segments the composer would have left: the open parts, none while the doors were closed."""
    folder = stream_dir(meeting.id)
    folder.mkdir(parents=True)
    [opened], [ended] = _at(meeting, "meeting.opened"), _at(meeting, "meeting.ended")
    [closed], [reopened] = _at(meeting, "doors.closed"), _at(meeting, "doors.opened")
    parts = [(opened - dt.timedelta(seconds=5), closed), (reopened, ended + dt.timedelta(seconds=1))]
    segments = []
    for seq, (start, end) in enumerate(parts, start=1):
        name = f"seg_{seq:05d}.ts"
        (folder / name).write_bytes(b"")
        segments.append({"name": name, "seq": seq * 10, "duration": (end - start).total_seconds(), "open": True,
                         "epoch": 0, "start": start})
    (folder / "segments.jsonl").write_text("".join(
        json.dumps({**s, "start": s["start"].isoformat()}) + "\n" for s in segments))
    (folder / "recording.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    return segments


def _votes_opened(meeting) -> list[tuple[str, dt.datetime]]:
    return [(p.get("kind", ""), at) for p, at in MeetingEvent.objects.filter(meeting=meeting, type="vote.opened")
            .order_by("seq").values_list("payload", "at")]


def test_each_open_vote_and_its_decision_link_to_their_moment(ended):
    council, meeting = ended
    segments = _record(meeting)
    opened = _votes_opened(meeting)
    [first, closure, behind] = opened
    html = Client().get(f"/meetings/{meeting.id}/minutes/?lang=en").content.decode()
    seconds = int(recording_offset(segments, first[1]))
    assert seconds > 5
    link = f'href="/meetings/{meeting.id}/?t={seconds}"'
    assert html.count(link) == 2, html  # the vote's result, and the decision on the item
    assert f"In the recording from 00:00:{seconds:02d}" in html
    assert f'href="/meetings/{meeting.id}/?t={int(recording_offset(segments, closure[1]))}"' in html
    assert html.count("?t=") == 3  # nothing for the vote behind closed doors
    # The members' internal version shows the closed vote, still with no link: the recording has no such moment.
    member = Client()
    member.force_login(council.members[0])
    internal = member.get(f"/meetings/{meeting.id}/minutes/?version=internal&lang=en").content.decode()
    assert "Lukket votering" in internal and internal.count("?t=") == 3
    nb = Client().get(f"/meetings/{meeting.id}/minutes/?lang=nb").content.decode()
    assert f"I opptaket fra 00:00:{seconds:02d}" in nb


def test_no_recording_no_links(ended):
    council, meeting = ended
    html = Client().get(f"/meetings/{meeting.id}/minutes/").content.decode()
    assert "?t=" not in html
    _record(meeting)
    assert "?t=" in Client().get(f"/meetings/{meeting.id}/minutes/").content.decode()
    (stream_dir(meeting.id) / "recording.m3u8").unlink()  # the recording deleted (retention)
    assert "?t=" not in Client().get(f"/meetings/{meeting.id}/minutes/").content.decode()
    assert "?t=" not in Client().get(f"/meetings/{meeting.id}/minutes.json").content.decode()
