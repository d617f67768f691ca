"""Searching the archive: ranked hits with a highlighted snippet, on either engine.

PostgreSQL: `websearch_to_tsquery('norwegian', ...)` against the GIN index over the stored
`to_tsvector('norwegian', text)`, ranked by `ts_rank`, the snippet by `ts_headline`. Norwegian
stemming and stop words: "skolen" finds "skolene", "og" alone finds nothing.
SQLite: the FTS5 table (unicode61, diacritics kept: "å" is not "a"), ranked by bm25, the snippet
by `snippet()`. No stemming: a word of three letters or more matches the words it begins.
Both ask the visibility policy which meetings are public, as the index itself did.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from meetings import visibility
from meetings.models import Meeting

from .models import Document
from .query import START, STOP, Query

CONFIG = "norwegian"
SNIPPET_WORDS = 24
ELLIPSIS = "…"


def vector() -> RawSQL:
    """The stored `to_tsvector('norwegian', text)` of each row, which the GIN index is built over
    (migrations/0001_initial.py: a PostgreSQL column the model does not declare, as SQLite has no
    tsvector)."""
    return RawSQL('"archive_search_document"."text_tsv"', [], output_field=SearchVectorField())


@dataclass(frozen=True)
class Hit:
    document: Document
    snippet: SafeString  # escaped text, the matched words in <mark>


def highlight(snippet: str) -> SafeString:
    """The engine's snippet as HTML: everything escaped, the engine's marks (never in indexed text)
    turned into balanced <mark> elements."""
    out, inside = [], False
    for i, part in enumerate(snippet.replace(STOP, START).split(START)):
        if i:
            inside = not inside
            out.append("<mark>" if inside else "</mark>")
        out.append(html.escape(part))
    if inside:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every part escaped above


def _public_meetings_sql() -> tuple[str, tuple[Any, ...]]:
    sql, params = visibility.public_meetings(Meeting.objects.order_by().values("id")).query.sql_with_params()
    return sql, tuple(params)


class Hits:
    """The hits of one query, counted and sliced lazily (Django's Paginator and DRF's pagination
    ask `count()` and then one slice)."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = _pg_count(self.query) if connection.vendor == "postgresql" else _fts_count(self.query)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Hit]:
        if not isinstance(index, slice):
            raise TypeError("hits are read a page (a slice) at a time")
        offset = index.start or 0
        limit = (index.stop - offset) if index.stop is not None else self.count() - offset
        if limit <= 0:
            return []
        page = _pg_page if connection.vendor == "postgresql" else _fts_page
        return page(self.query, offset, limit)


def search_hits(*, query: Query) -> Hits:
    return Hits(query)


def _pg_query(query: Query) -> SearchQuery:
    return SearchQuery(query.websearch(), config=CONFIG, search_type="websearch")


def _pg_matches(query: Query) -> Any:
    return (Document.objects.filter(meeting__in=visibility.public_meetings(Meeting.objects.all()))
            .annotate(search=vector()).filter(search=_pg_query(query)))


def _pg_count(query: Query) -> int:
    return int(_pg_matches(query).count())


def _pg_page(query: Query, offset: int, limit: int) -> list[Hit]:
    q = _pg_query(query)
    # ShortWord=0: ts_headline would otherwise drop short words at a fragment's ends ("we need ...").
    rows = (_pg_matches(query).select_related("meeting__body")
            .annotate(rank=SearchRank(vector(), q),
                      snippet=SearchHeadline("text", q, config=CONFIG, start_sel=START, stop_sel=STOP,
                                             max_words=SNIPPET_WORDS, min_words=SNIPPET_WORDS // 2,
                                             max_fragments=2, fragment_delimiter=f" {ELLIPSIS} ", short_word="0"))
            .order_by("-rank", "-meeting__scheduled_start", "meeting_id", "position")[offset:offset + limit])
    return [Hit(row, highlight(row.snippet)) for row in rows]


_FTS_FROM = """FROM archive_search_fts
    JOIN archive_search_document d ON d.id = archive_search_fts.rowid
    JOIN meetings_meeting m ON m.id = d.meeting_id
    WHERE archive_search_fts MATCH %s AND d.meeting_id IN ({public})"""


def _fts_count(query: Query) -> int:
    public, params = _public_meetings_sql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) " + _FTS_FROM.format(public=public), (query.fts5(), *params))
        return int(cursor.fetchone()[0])


def _fts_page(query: Query, offset: int, limit: int) -> list[Hit]:
    public, params = _public_meetings_sql()
    sql = (f"SELECT d.id, snippet(archive_search_fts, 0, %s, %s, %s, {SNIPPET_WORDS}) "
           + _FTS_FROM.format(public=public)
           + " ORDER BY bm25(archive_search_fts), m.scheduled_start DESC, d.meeting_id, d.position LIMIT %s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, (START, STOP, ELLIPSIS, query.fts5(), *params, limit, offset))
        rows = cursor.fetchall()
    documents = Document.objects.select_related("meeting__body").in_bulk([row[0] for row in rows])
    return [Hit(documents[doc_id], highlight(snippet)) for doc_id, snippet in rows if doc_id in documents]
