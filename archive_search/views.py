"""The archive's search page (`/archive/search/?q=`) and `GET /api/search/`: thin views over the
query cleaner and the selector."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from meetings.api import Pages
from meetings.exceptions import InvalidInput
from minutes.generator import local_iso
from minutes.labels import format_date, lang_of

from .models import Kind
from .query import MIN_WORD_CHARS, Query, QueryError, parse
from .selectors import Hit, Hits, search_hits

PAGE_SIZE = 20


def _message(error: QueryError) -> str:
    if error.reason == "empty":
        return gettext("Type a word to search for.")
    return gettext("Search for a word of at least %(count)s letters or digits.") % {"count": MIN_WORD_CHARS}


def search_page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    lang = lang_of(getattr(request, "LANGUAGE_CODE", None))
    context: dict[str, Any] = {"q": raw[:200], "message": "", "page": None}
    try:
        query = parse(raw)
    except QueryError as exc:
        context["message"] = _message(exc)
    else:
        hits: Any = search_hits(query=query)  # counted and sliced as Paginator asks (selectors.Hits)
        page = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
        context["page"] = page
        context["hits"] = [_row(hit, lang) for hit in page.object_list]
    return render(request, "archive_search/results.html", context, status=200)


def _row(hit: Hit, lang: str) -> dict[str, Any]:
    d = hit.document
    clock = ""
    if d.seconds is not None:  # as the transcript page shows a moment: 00:01:05
        clock = f"{d.seconds // 3600:02d}:{d.seconds // 60 % 60:02d}:{d.seconds % 60:02d}"
    return {"document": d, "snippet": hit.snippet, "kind": Kind(d.kind).label, "meeting": d.meeting, "clock": clock,
            "date_iso": local_iso(d.meeting.scheduled_start.isoformat()),
            "date_text": format_date(d.meeting.scheduled_start, lang)}


class SearchPages(Pages):
    default_limit = PAGE_SIZE
    max_limit = 100


class SearchHitSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="document.meeting_id")
    title = serializers.CharField(source="document.meeting.title", help_text="The meeting's title.")
    body = serializers.CharField(source="document.meeting.body.name", help_text="The body that met.")
    date = serializers.SerializerMethodField(help_text="The meeting's day (Europe/Oslo), ISO 8601.")
    kind = serializers.ChoiceField(source="document.kind", choices=Kind.choices)
    speaker = serializers.SerializerMethodField(help_text="A cue's: who had the floor; null for the minutes.")
    case_number = serializers.SerializerMethodField(help_text="The minutes': the item's case number; null for a cue.")
    snippet = serializers.CharField(help_text="HTML: the text around the match, escaped, the matched words in "
                                              "<mark>.")
    url = serializers.CharField(source="document.url", help_text="The moment in the recording (`?t=<seconds>`) "
                                                                 "or the place in the minutes (`#anchor`).")
    seconds = serializers.IntegerField(source="document.seconds", allow_null=True,
                                       help_text="A cue's: seconds into the recording; null for the minutes.")

    def get_date(self, hit: Hit) -> str:
        return local_iso(hit.document.meeting.scheduled_start.isoformat())[:10]

    def get_speaker(self, hit: Hit) -> str | None:
        return hit.document.label if hit.document.kind == Kind.CUE else None

    def get_case_number(self, hit: Hit) -> str | None:
        return None if hit.document.kind == Kind.CUE else hit.document.label


class SearchAPI(generics.GenericAPIView):
    """Full-text search over the transcripts and published minutes (item titles, proposals,
    decisions) of every public meeting; best hits first."""

    serializer_class = SearchHitSerializer
    pagination_class = SearchPages

    def _query(self) -> Query:
        try:
            return parse(self.request.query_params.get("q", ""))
        except QueryError:
            raise InvalidInput("q: search for a word of at least %(count)s letters or digits",
                               params={"count": MIN_WORD_CHARS}) from None

    # Also asked by the browsable API's page.
    def get_queryset(self) -> Hits:  # type: ignore[override]
        return search_hits(query=self._query())

    @extend_schema(parameters=[OpenApiParameter(
        "q", str, required=True,
        description="Words to find (read up to 200 characters): a word, a \"quoted phrase\", -word to leave out. "
                    "PostgreSQL stems them (Norwegian); SQLite matches words they begin.")],
        responses=SearchHitSerializer(many=True))
    def get(self, request: Request) -> Response:
        page: Any = self.paginate_queryset(self.get_queryset())  # type: ignore[arg-type]
        return self.get_paginated_response(SearchHitSerializer(page, many=True).data)
