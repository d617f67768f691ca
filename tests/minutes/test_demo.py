"""seed_demo's past meeting: played through the real services with a past-dated clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from meetings.models import MeetingEvent
from meetings.services.log import log_verify
from minutes import demo
from minutes.models import MinutesRecord, MinutesStatus
from tests.factories import make_council


@pytest.fixture
def past(transactional_db, settings, tmp_path):
    """Real commits, as in `seed_demo`: publication runs on commit, while the demo clock is set."""
    settings.LIVESTREAM_ROOT = tmp_path / "live"
    make_council(seats=7, deputies=2, slug="kommunestyret")
    return demo.ensure_past_meeting()


def test_it_dates_the_past_meeting_two_weeks_back_over_a_realistic_evening(past):
    events = list(MeetingEvent.objects.filter(meeting=past).order_by("seq"))
    assert log_verify(meeting_id=past.id) == len(events)  # the hash chain covers the past times
    assert all(a.at < b.at for a, b in zip(events, events[1:], strict=False))  # time only moves on
    opened = next(e.at for e in events if e.type == "meeting.opened")
    ended = next(e.at for e in events if e.type == "meeting.ended")
    assert abs((timezone.now() - opened) - dt.timedelta(days=14)) < dt.timedelta(days=1)
    assert opened == past.scheduled_start
    assert dt.timedelta(hours=2) <= ended - opened <= dt.timedelta(hours=3)
    notice = next(e.at for e in events if e.type == "notice.published")
    assert notice < opened - dt.timedelta(days=7)


def test_it_publishes_the_past_minutes_with_their_own_dates(past):
    record = MinutesRecord.objects.get(meeting=past)
    assert record.status == MinutesStatus.PUBLISHED
    assert record.published_at < timezone.now() - dt.timedelta(days=13)
    data = Client().get(f"/meetings/{past.id}/minutes.json").json()
    assert data["meeting"]["opened"].startswith(past.scheduled_start.astimezone(demo.ZoneInfo("Europe/Oslo"))
                                                .strftime("%Y-%m-%dT18:00"))
    assert demo.ensure_past_meeting() == past  # idempotent


def test_it_links_a_recording_in_the_archive_only_if_one_exists(past, settings):
    url = f"/live/{past.id}/recording.m3u8"
    archive = Client().get("/archive/").content.decode()
    assert f"/meetings/{past.id}/minutes/" in archive and url not in archive
    folder = settings.LIVESTREAM_ROOT / str(past.id)
    folder.mkdir(parents=True)
    (folder / "recording.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    archive = Client().get("/archive/").content.decode()
    assert url in archive and Client().get(url).status_code == 200
