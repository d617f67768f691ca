"""Cleaning a visitor's words into terms (pure): no input is ever an engine's operator."""

from __future__ import annotations

import pytest

from archive_search.query import MAX_QUERY_CHARS, MAX_TERMS, QueryError, Term, clean_text, parse


def test_it_reads_words_phrases_and_exclusions():
    q = parse('Skolene "nye tak" -Ålesund')
    assert [(t.words, t.negated) for t in q.terms] == [(("skolene",), False), (("nye", "tak"), False),
                                                       (("ålesund",), True)]
    assert q.fts5() == '"skolene"* "nye tak" NOT "ålesund"*'
    assert q.websearch() == 'skolene "nye tak" -ålesund'


def test_it_turns_operators_and_punctuation_into_plain_words():
    q = parse('NEAR(skole, tak) AND sk* OR "unbalanced ((( col:x ^y')
    assert q.fts5() == '"near skole" "tak"* "and"* "sk" "or" "unbalanced col x y"'
    assert '(' not in q.websearch() and '*' not in q.websearch() and ':' not in q.websearch()


def test_a_hyphenated_word_is_a_phrase_and_a_leading_hyphen_excludes():
    [term] = parse("e-post").terms
    assert term.words == ("e", "post") and term.pg_text == "e-post"  # one token for PostgreSQL's parser
    assert parse("skole -tak").terms[1] == Term(("tak",), negated=True, source="tak")
    assert parse("PS 1/26").websearch() == "ps 1/26" and parse("PS 1/26").fts5() == '"ps" "1 26"'


@pytest.mark.parametrize(("raw", "reason"), [("", "empty"), ("   ", "empty"), ("!!! ((( ***", "too_short"),
                                             ("a", "too_short"), ("-skole", "too_short"), ('"', "too_short"),
                                             ("- a b c", "too_short")])
def test_it_says_why_there_is_nothing_to_search_for(raw, reason):
    with pytest.raises(QueryError) as caught:
        parse(raw)
    assert caught.value.reason == reason


def test_it_reads_a_bounded_part_of_a_huge_query():
    q = parse("skole " * 2000 + "tak")  # 12 kB
    assert len(q.terms) == MAX_TERMS and "tak" not in q.websearch()
    assert len(parse("x" * 10_000).terms[0].words[0]) == 40
    assert len(("skole " * 2000)[:MAX_QUERY_CHARS].split()) < 2000


def test_indexed_text_has_no_control_characters():
    assert clean_text("a\x00b\x02c\x03d\ne") == "a b c d\ne"


def test_it_lowercases_as_the_engines_do():
    # Lowercased, not case-folded: FTS5's unicode61 and PostgreSQL keep "ß" (casefold would make it "ss").
    assert parse("Straße ÆRE").terms[0].words == ("straße",) and parse("ÆRE").websearch() == "ære"
