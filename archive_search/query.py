"""A visitor's search words, cleaned into terms that neither engine can misread.

Whatever is typed (quotes, `NEAR(`, `*`, `-`, unbalanced parentheses, ten kilobytes of it) becomes
words of letters and digits: a bare word, a "quoted phrase" or a word joined by hyphens (a phrase
too), each possibly excluded with a leading `-`. The engines get only those words, each quoted by
us (FTS5) or passed through `websearch_to_tsquery` (PostgreSQL), so no input is ever an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 200  # what is read of a query; the rest is not searched for
MAX_TERMS = 8
MAX_WORD_CHARS = 40
MIN_WORD_CHARS = 2  # a search needs at least one word this long

_CHUNK = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD = re.compile(r"[^\W_]+")
_PG_UNSAFE = re.compile(r"[^\w/.\-]+|_+")  # letters and digits of any script; `_` is not a word character here

# Marks around the matched words in a snippet: control characters, which `clean_text` removes from
# every indexed text, so that a mark in a snippet is always the engine's.
START, STOP = "\x02", "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Indexed text without control characters (no NUL for PostgreSQL, no snippet marks)."""
    return _CONTROL.sub(" ", text)


class QueryError(ValueError):
    """Nothing to search for: `empty` (no words) or `too_short` (no word of MIN_WORD_CHARS)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    negated: bool = False
    # The words as PostgreSQL's parser should see them: with the `/`, `.` and `-` between them that
    # make one token of "1/26" or "e-post" there (as in the indexed text), nothing else.
    source: str = ""

    @property
    def pg_text(self) -> str:
        return self.source or " ".join(self.words)


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    def fts5(self) -> str:
        """An FTS5 MATCH expression: each term a quoted phrase; a single word of three letters or
        more also matches the words it begins (FTS5 does not stem: "skole" finds "skolene")."""
        parts = []
        for term in self.terms:
            phrase = '"' + " ".join(term.words) + '"'
            if len(term.words) == 1 and len(term.words[0]) >= 3:
                phrase += "*"
            parts.append(f"NOT {phrase}" if term.negated else phrase)
        return " ".join(parts)

    def websearch(self) -> str:
        """Input for PostgreSQL's `websearch_to_tsquery` (the norwegian configuration stems it)."""
        parts = []
        for term in self.terms:
            text = term.pg_text
            text = f'"{text}"' if " " in text else text
            parts.append("-" + text if term.negated else text)
        return " ".join(parts)


def parse(raw: str) -> Query:
    """The terms of `raw`; raises QueryError when there is nothing to search for (no word of
    MIN_WORD_CHARS to find: a shorter one, "2" in "sak 2", counts only beside one). Excluded terms
    come after the others (an FTS5 NOT needs something on its left)."""
    positive: list[Term] = []
    negative: list[Term] = []
    seen_words = False
    for m in _CHUNK.finditer(raw[:MAX_QUERY_CHARS]):
        negated = bool(m.group(1) if m.group(2) is not None else m.group(3))
        chunk = m.group(2) if m.group(2) is not None else m.group(4)
        words = tuple(w.lower()[:MAX_WORD_CHARS] for w in _WORD.findall(chunk))
        if not words:
            continue
        seen_words = True
        source = " ".join(_PG_UNSAFE.sub(" ", chunk).split()).strip("-./ ").lower()
        (negative if negated else positive).append(Term(words, negated, source))
    if not any(len(w) >= MIN_WORD_CHARS for term in positive for w in term.words):
        raise QueryError("too_short" if seen_words or raw.strip() else "empty")
    return Query(tuple((positive + negative)[:MAX_TERMS]))
