"""Minutes pages (HTML, PDF, JSON, API), feeds and the public archive: thin views over services."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from captions.selectors import recording_moments, recording_version
from livestream.health import stream_dir
from meetings import commands, selectors, visibility
from meetings.exceptions import DomainError
from meetings.models import AgendaItem, Meeting, MeetingEvent, Person
from meetings.state import MeetingState

from . import approval
from . import render as renderers
from .generator import local_iso
from .labels import format_date, format_datetime, labels, lang_of
from .models import MinutesRecord, MinutesStatus
from .services import minutes_build, minutes_release_decision, minutes_status, require_published


def _lang(request: HttpRequest) -> str:
    """`?lang=` wins over the session's language (links to one language stay in it)."""
    return lang_of(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", "nb"))


def _wants_internal(request: HttpRequest, meeting: Meeting) -> bool:
    return request.GET.get("version") == "internal" and selectors.is_participant(user=request.user, meeting=meeting)


@lru_cache(maxsize=64)
def _rendered(meeting_id: int, last_digest: str, public: bool, lang: str, fmt: str, published: bool,
              moments: tuple[tuple[int, int], ...] = ()) -> bytes:
    # Keyed by the digest of the last event, which covers the whole log: the same log gives the
    # same bytes, so caching is exact (a sequence number alone would not tell two logs apart).
    # The HTML also links each vote into the recording: `moments` is part of the key.
    data = minutes_build(meeting_id=meeting_id, public=public, lang=lang)
    if fmt == "html":
        return renderers.to_html(data, meeting_id=meeting_id, published=published, moments=dict(moments))
    if fmt == "pdf":
        return renderers.to_pdf(data, meeting_id=meeting_id, published=published)
    return renderers.to_json(data)


@lru_cache(maxsize=64)
def _vote_moments(meeting_id: int, last_digest: str, recording: Any) -> tuple[tuple[int, int], ...]:
    """Each vote's opening as seconds into the public recording, where the recording holds it (an
    open part, the stream up): cached per log and per state of the recording (`recording_version`)."""
    opened = {int(p["vote"]): at for p, at in MeetingEvent.objects.filter(meeting_id=meeting_id, type="vote.opened")
              .values_list("payload", "at")}
    return tuple(sorted(recording_moments(meeting_id=meeting_id, moments=opened).items()))  # type: ignore[arg-type]


def _minutes(request: HttpRequest, meeting_id: int, fmt: str) -> HttpResponse:
    try:
        meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
        internal = _wants_internal(request, meeting)
        record = minutes_status(meeting)
        published = bool(record and record.status == MinutesStatus.PUBLISHED)
        if not internal:
            require_published(meeting)
        elif meeting.state != MeetingState.ENDED:
            raise DomainError("the meeting has not ended", code="meeting_not_ended", http_status=404)
    except DomainError as exc:
        if fmt == "html":
            lang = _lang(request)
            L = labels(lang)
            with translation.override(lang):
                return render(request, "minutes/not_available.html", {
                    "message": L.get(f"error:{exc.code}", exc.translated()), "L": L}, status=exc.http_status)
        return JsonResponse({"error": exc.as_dict()}, status=exc.http_status)
    lang = _lang(request)
    moments = _vote_moments(meeting.id, meeting.last_digest, recording_version(meeting.id)) if fmt == "html" else ()
    body = _rendered(meeting.id, meeting.last_digest, not internal, lang, fmt, published, moments)
    if fmt == "html":
        # The minutes themselves are a cached, deterministic fragment; the site layout around them
        # (navigation, language switch, login state) is per request.
        with translation.override(lang):
            page = render(request, "minutes/page.html", {
                "body": mark_safe(body.decode()),  # noqa: S308 - rendered by our own autoescaping template
                "title": f"{labels(lang)['minutes']} – {meeting.body.name} – {meeting.title}",
                "L": labels(lang), "meeting_id": meeting.id,
                "may_sign": published and _may_sign(request, meeting.id)})
        page["Cache-Control"] = "private, no-store"  # the layout carries the login state and a CSRF token
        return page
    types = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}
    response = HttpResponse(body, content_type=types[fmt])
    if fmt == "pdf":
        response["Content-Disposition"] = f'inline; filename="motebok-{meeting.id}.pdf"'
    response["Cache-Control"] = "private, no-store" if internal else "public, max-age=60"
    return response


def _may_sign(request: HttpRequest, meeting_id: int) -> bool:
    """Whether the reader is a protocol signatory of these minutes who has not signed yet."""
    person = Person.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    if person is None:
        return False
    state = approval.approval_of(meeting_id)
    return any(s["person"] == str(person.id) and not s["signed_at"] for s in state["signatories"])


@require_POST
@login_required
def minutes_sign(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A protocol signatory signs the published minutes (a logged event); back to the minutes."""
    try:
        approval.minutes_sign(user=request.user, meeting_id=meeting_id)
        messages.success(request, labels(_lang(request))["signed_on"].capitalize() + ".")
    except Meeting.DoesNotExist:
        raise Http404("no such meeting") from None
    except DomainError as exc:
        messages.error(request, exc.as_dict()["message"])
    return redirect("minutes-html", meeting_id=meeting_id)


def minutes_html(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _minutes(request, meeting_id, "html")


def minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _minutes(request, meeting_id, "pdf")


def minutes_json(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _minutes(request, meeting_id, "json")


class MinutesAPI(APIView):
    """The published minutes in an open-data shape (meeting, agenda items, proposals, votes)."""

    @extend_schema(parameters=[OpenApiParameter(
        "lang", description="A language of settings.LANGUAGES (`nb`, `nn`, `en`); any other value: nb.")],
                   responses=inline_serializer("Minutes", {"type": serializers.CharField(),
                                                          "meeting": serializers.DictField(),
                                                          "agenda_items": serializers.ListField()}))
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        require_published(meeting)
        return Response(minutes_build(meeting_id=meeting.id, public=True, lang=_lang(request)))


_Approval = inline_serializer("MinutesApproval", {
    "method": serializers.CharField(help_text='"", "signatories" or "next_meeting"'),
    "approved": serializers.BooleanField(), "signatories": serializers.ListField(),
    "approved_at": serializers.CharField(allow_null=True), "at_meeting": serializers.DictField(allow_null=True)})


class ApprovalAPI(APIView):
    """How far the approval of the minutes has come (public once the meeting is; minutes/approval.py)."""

    @extend_schema(responses=_Approval)
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        return Response(approval.approval_of(meeting.id))


class SignatoriesAPI(APIView):
    """The clerk records the two members present whom the meeting chose to sign its minutes."""

    class SignatoriesInput(serializers.Serializer):
        persons = serializers.ListField(child=commands.id_field(help_text="A person id."), min_length=2, max_length=2)

    @extend_schema(request=SignatoriesInput, responses={201: inline_serializer("SignatoriesChosen", {
        "seq": serializers.IntegerField()})})
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.SignatoriesInput, request.data)
        event = approval.signatories_choose(user=request.user, meeting_id=pk, person_ids=data["persons"])
        return Response({"seq": event.seq}, status=201)


class SignAPI(APIView):
    """A protocol signatory signs the published minutes; the second signature approves them."""

    @extend_schema(request=None, responses={201: _Approval})
    def post(self, request: Request, pk: int) -> Response:
        approval.minutes_sign(user=request.user, meeting_id=pk)
        return Response(approval.approval_of(pk), status=201)


class ApproveAPI(APIView):
    """The clerk records that the body approved the minutes at a later meeting that has been held."""

    class ApproveInput(serializers.Serializer):
        at_meeting = commands.id_field(help_text="The later meeting of the same body.")
        case_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    @extend_schema(request=ApproveInput, responses={201: _Approval})
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ApproveInput, request.data)
        approval.approve_at_meeting(user=request.user, meeting_id=pk, at_meeting_id=data["at_meeting"],
                                    case_number=data["case_number"])
        return Response(approval.approval_of(pk), status=201)


class ReleaseDecisionAPI(APIView):
    """The clerk releases the decision of a vote held behind closed doors (not itself exempt)."""

    class ReleaseDecisionInput(serializers.Serializer):
        vote = commands.id_field(help_text="The vote's number in the meeting.")
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=ReleaseDecisionInput, responses={201: inline_serializer("DecisionReleased", {
        "seq": serializers.IntegerField()})})
    def post(self, request: Request, pk: int) -> Response:
        data = self.ReleaseDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = minutes_release_decision(user=request.user, meeting_id=pk, **data.validated_data)
        return Response({"seq": event.seq}, status=201)


def _recording_files(meeting_id: int) -> tuple[bool, bool]:
    """Link a recording only if the composer wrote one (a meeting without a stream has none)."""
    folder = stream_dir(meeting_id)
    return (folder / "recording.m3u8").is_file(), (folder / "chapters.vtt").is_file()


def archive(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    meetings = visibility.public_meetings(Meeting.objects.select_related("body")).order_by("-scheduled_start")[:200]
    published = set(MinutesRecord.objects.filter(status=MinutesStatus.PUBLISHED).values_list("meeting_id", flat=True))
    rows = []
    for m in meetings:
        recording, chapters = _recording_files(m.id) if m.state == MeetingState.ENDED else (False, False)
        rows.append({"meeting": m, "minutes": m.id in published, "recording": recording, "chapters": chapters,
                     "start_iso": local_iso(m.scheduled_start.isoformat()),
                     "date_text": format_date(m.scheduled_start, lang)})
    with translation.override(lang):
        return render(request, "minutes/archive.html", {"rows": rows, "L": labels(lang)})


class MinutesFeed(Feed):
    feed_type = Atom1Feed
    title = "Møtebøker"
    link = "/archive/"
    subtitle = "Publiserte møtebøker (kommuneloven § 11-4)"

    def items(self) -> Any:
        records = list(MinutesRecord.objects.filter(status=MinutesStatus.PUBLISHED).select_related("meeting__body")
                       .order_by("-published_at")[:50])
        approvals = approval.approvals_of([r.meeting_id for r in records])  # one fold for all, not one per entry
        for r in records:
            r.approval = approvals[r.meeting_id]
        return records

    def item_title(self, item: MinutesRecord) -> str:
        state = item.approval  # type: ignore[attr-defined]
        mark = "" if not state["method"] else " (godkjent)" if state["approved"] else " (ikke godkjent ennå)"
        return f"Møtebok: {item.meeting.body.name} – {item.meeting.title}{mark}"

    def item_description(self, item: MinutesRecord) -> str:
        return f"{item.meeting.body.name}, {format_date(item.meeting.scheduled_start, 'nb')}"  # the Oslo date

    def item_link(self, item: MinutesRecord) -> str:
        return f"/meetings/{item.meeting_id}/minutes/"

    def item_pubdate(self, item: MinutesRecord) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: MinutesRecord) -> dt.datetime | None:
        # An approval after the publication updates the entry, so a reader sees it again.
        approved = item.approval["approved_at"]  # type: ignore[attr-defined]
        return dt.datetime.fromisoformat(approved) if approved else item.published_at


# A change to a published notice: the feed entry's "updated" moves, so a reader sees it again.
NOTICE_CHANGES = ("item.added", "item.corrected", "item.postponed", "agenda.reordered", "meeting.location_changed")


class NoticesFeed(Feed):
    """§ 11-3: the notices of meetings as they are published, and again when one is changed."""

    feed_type = Atom1Feed
    title = "Innkallinger"
    link = "/"
    subtitle = "Innkallinger til politiske møter med saksliste (kommuneloven § 11-3)"

    def items(self) -> Any:
        meetings = list(visibility.public_meetings(Meeting.objects.select_related("body"))
                        .filter(notice_published_at__isnull=False).order_by("-notice_published_at")
                        .prefetch_related(Prefetch("items", queryset=AgendaItem.objects.order_by("order")))[:50])
        changed: dict[int, dt.datetime] = {}
        for meeting_id, at in (MeetingEvent.objects.filter(meeting__in=meetings, type__in=NOTICE_CHANGES)
                               .values_list("meeting_id", "at")):
            changed[meeting_id] = max(at, changed.get(meeting_id, at))
        for m in meetings:
            m.notice_changed_at = changed.get(m.id)
        return meetings

    def item_title(self, item: Meeting) -> str:
        changed = " (endret)" if getattr(item, "notice_changed_at", None) else ""
        return f"Innkalling: {item.body.name} – {item.title}{changed}"

    def item_description(self, item: Meeting) -> str:
        cases = "; ".join(f"{i.case_number} {i.title_for_public}{' (utsatt)' if i.state == 'deferred' else ''}"
                          for i in item.items.all())  # prefetched in order by items()
        where = f", {item.location}" if item.location else ""
        return f"{format_datetime(item.scheduled_start, 'nb')}{where}. Saksliste: {cases}"

    def item_link(self, item: Meeting) -> str:
        return f"/meetings/{item.id}/"

    def item_pubdate(self, item: Meeting) -> dt.datetime | None:
        return item.notice_published_at

    def item_updateddate(self, item: Meeting) -> dt.datetime | None:
        return getattr(item, "notice_changed_at", None) or item.notice_published_at


ICS_DEFAULT_DURATION = dt.timedelta(hours=3)  # the model has no planned duration; used until a meeting ends


def meetings_ics(request: HttpRequest) -> HttpResponse:
    """iCalendar of meetings whose notice is published (§ 11-3), from a week ago on. An ended
    meeting ends when its log says it did; one not yet held gets ICS_DEFAULT_DURATION."""
    since = timezone.now() - dt.timedelta(days=7)
    meetings = list(visibility.public_meetings(Meeting.objects.select_related("body"))
                    .filter(scheduled_start__gte=since).order_by("scheduled_start")[:500])
    ended = dict(MeetingEvent.objects.filter(meeting__in=meetings, type="meeting.ended")
                 .values_list("meeting_id", "at"))
    host = request.get_host()
    # Written by the icalendar library: escaping, line folding (75 octets, never inside a UTF-8
    # character) and UTC date-times as RFC 5545 has them.
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//council-meetings//NO")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Politiske møter")
    stamp = timezone.now().astimezone(dt.UTC)
    for m in meetings:
        end = ended.get(m.id) or m.scheduled_start + ICS_DEFAULT_DURATION
        event = icalendar.Event()
        event.add("uid", f"meeting-{m.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", m.scheduled_start.astimezone(dt.UTC))
        event.add("dtend", max(end, m.scheduled_start).astimezone(dt.UTC))
        event.add("summary", f"{m.body.name}: {m.title}")
        event.add("location", m.location or ("Fjernmøte" if m.form == "remote" else ""))
        event.add("url", f"{request.scheme}://{host}/meetings/{m.id}/")
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
