"""Generating, publishing and correcting minutes. Publishing and corrections are log events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from meetings.exceptions import IllegalTransition, InvalidInput, LogTampered, NotFound
from meetings.models import Meeting, MeetingEvent
from meetings.services.access import person_for_user, require_clerk
from meetings.services.common import clean_text
from meetings.services.log import log_append, log_verify, meeting_lock
from meetings.state import MeetingState

from . import generator
from .models import MinutesRecord, MinutesStatus


def records(meeting_id: int) -> list[dict[str, Any]]:
    # Plain rows, not model instances: building 20,000 MeetingEvent objects was the largest single
    # cost of generating the minutes of a long meeting (profiled with bench/bench_minutes.py).
    rows = (MeetingEvent.objects.filter(meeting_id=meeting_id).order_by("seq")
            .values_list("seq", "type", "at", "actor_id", "payload", "digest").iterator(chunk_size=5000))
    return [{"seq": seq, "type": type_, "at": at.isoformat(), "actor": actor, "payload": payload, "digest": digest}
            for seq, type_, at, actor, payload, digest in rows]


def minutes_build(*, meeting_id: int, public: bool, lang: str = "nb") -> dict[str, Any]:
    return generator.build(records(meeting_id), public=public, meeting_id=meeting_id, lang=lang)


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()


def minutes_on_meeting_ended(*, meeting_id: int) -> MinutesRecord:
    """Called after `meeting.ended` commits: publish at once, or after the body's review window."""
    meeting = Meeting.objects.select_related("body").get(id=meeting_id)
    hours = meeting.body.minutes_review_hours
    # The review window runs from the end as the log records it (a meeting replayed later keeps its dates).
    ended = (MeetingEvent.objects.filter(meeting_id=meeting_id, type="meeting.ended")
             .values_list("at", flat=True).first()) or timezone.now()
    record, _ = MinutesRecord.objects.get_or_create(
        meeting=meeting, defaults={"publish_due_at": ended + dt.timedelta(hours=hours)})
    if hours == 0:
        return minutes_publish(meeting_id=meeting_id)
    return record


def minutes_publish(*, meeting_id: int, user: Any = None) -> MinutesRecord:
    """Publish the public version. Refused, and the refusal recorded, if the log does not verify."""
    try:
        log_verify(meeting_id=meeting_id)
    except LogTampered as exc:
        MinutesRecord.objects.filter(meeting_id=meeting_id).update(status=MinutesStatus.REFUSED, problem=exc.message)
        raise LogTampered("publication refused: the meeting log does not verify (%(message)s)",
            params={"message": exc.message}) from None
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        if user is not None:
            require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state != MeetingState.ENDED:
            raise IllegalTransition("minutes are published after the meeting has ended", code="meeting_not_ended")
        record, _ = MinutesRecord.objects.select_for_update().get_or_create(
            meeting=meeting, defaults={"publish_due_at": timezone.now()})
        if record.status == MinutesStatus.PUBLISHED:
            return record
        data = minutes_build(meeting_id=meeting_id, public=True)
        digest = hashlib.sha256(canonical(data)).hexdigest()
        actor = person_for_user(user) if user is not None else None
        event = log_append(meeting=meeting, type="minutes.published", actor=actor, payload={
            "covers_seq": data["log"]["last_seq"], "covers_digest": data["log"]["last_digest"],
            "content_digest": digest, "version": 1 + len(data["corrections"])})
        record.status = MinutesStatus.PUBLISHED
        record.published_at = event.at
        record.published_seq = event.seq
        record.content_digest = digest
        record.problem = ""
        record.save()
    return record


def minutes_correct(*, user: Any, meeting_id: int, text: str, section: str = "") -> MeetingEvent:
    """The clerk's correction: a new, logged, visible entry; the original text stays as it was."""
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state != MeetingState.ENDED:
            raise IllegalTransition("corrections are made to the minutes of an ended meeting", code="meeting_not_ended")
        person = person_for_user(user)
        return log_append(meeting=meeting, type="minutes.correction", actor=person, payload={
            "text": clean_text(text, field="text", max_length=10000),
            "section": clean_text(section, field="section", max_length=200, required=False), "by": person.name})


def releasable_decisions(*, meeting_id: int) -> list[dict[str, Any]]:
    """The decisions made by a vote behind closed doors, which the clerk may find not exempt and
    release (`minutes_release_decision`): vote number, case number and vote title."""
    data = minutes_build(meeting_id=meeting_id, public=False)
    return [{"vote": v["number"], "case_number": item["case_number"], "title": v["title"]}
            for item in data["agenda_items"] for v in item["votes"]
            if v["in_closed_session"] and item.get("decision_vote") == v["number"]]


def minutes_release_decision(*, user: Any, meeting_id: int, vote: int, reason: str) -> MeetingEvent:
    """The clerk's finding that the decision of a vote held behind closed doors is not itself exempt
    (§ 11-4 (1), offentleglova): the public minutes then show that decision (the vote's ballots stay
    redacted). Logged as a visible correction, so the published original stays as it was."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None:
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    require_clerk(user=user, body_id=meeting.body_id)  # before anything about the closed votes is said
    data = minutes_build(meeting_id=meeting_id, public=False)
    found = [(item, v) for item in data["agenda_items"] for v in item["votes"] if v["number"] == vote]
    if not found:
        raise NotFound("vote %(vote)s does not exist in this meeting", params={"vote": vote}, code="vote_not_found")
    item, held = found[0]
    if not held["in_closed_session"]:
        raise InvalidInput("vote %(vote)s was held in open session; its decision is public already",
            params={"vote": vote},
                           code="vote_not_closed")
    if item.get("decision_vote") != vote:
        raise InvalidInput("vote %(vote)s did not make the decision of %(case_number)s",
            params={"vote": vote, "case_number": item['case_number']}, code="no_decision")
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state != MeetingState.ENDED:
            raise IllegalTransition("decisions are released in the minutes of an ended meeting",
                                    code="meeting_not_ended")
        person = person_for_user(user)
        return log_append(meeting=meeting, type="minutes.correction", actor=person, payload={
            "text": clean_text(reason, field="reason", max_length=2000), "section": item["case_number"],
            "by": person.name, "release_decision_of_vote": vote})


def publish_due(now: dt.datetime | None = None) -> list[int]:
    """Publish minutes whose review window has passed (run by cron: `manage.py publish_due_minutes`)."""
    now = now or timezone.now()
    done = []
    for record in MinutesRecord.objects.filter(status=MinutesStatus.REVIEW, publish_due_at__lte=now):
        try:
            minutes_publish(meeting_id=record.meeting_id)
            done.append(record.meeting_id)
        except (LogTampered, IllegalTransition):
            continue
    return done


def minutes_status(meeting: Meeting) -> MinutesRecord | None:
    record = MinutesRecord.objects.filter(meeting=meeting).first()
    if record and record.status == MinutesStatus.REVIEW and record.publish_due_at <= timezone.now():
        try:  # publish on read once due, so a missed cron run never holds minutes back
            record = minutes_publish(meeting_id=meeting.id)
        except (LogTampered, IllegalTransition):
            record.refresh_from_db()
    return record


def require_published(meeting: Meeting) -> MinutesRecord:
    record = minutes_status(meeting)
    if record is None or record.status != MinutesStatus.PUBLISHED:
        raise NotFound("the minutes of this meeting are not published yet", code="minutes_not_published")
    return record
