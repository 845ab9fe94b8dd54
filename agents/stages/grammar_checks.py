"""The request grammar's checks in words: ``check that <check>`` (also ``and check that``,
``also check that``) and ``checks: <check>; <check>``, each kept as written for
`agents.stages.check_words` to turn into a Dolt test once the tables are known.

A check runs to the end of its sentence, to a ``;``, to the next ``check that``, or to a
comma followed by another clause of the grammar (``..., create tables as needed``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agents.errors import RequestNotUnderstood
from agents.stages.grammar_request import _Found, _Handler
from agents.stages.grammar_text import _SENTENCE_END, _clean, _not_understood, _Text

StartsClause = Callable[[_Text, int], bool]
"""Whether another clause of the grammar starts at a position of the text."""

_CHECK_THAT = re.compile(r"check\s+that\s+(?=\S)", re.I)
_CHECKS_LIST = re.compile(r"checks?\s*:\s*(?=\S)", re.I)
_NEXT_CHECK = re.compile(r"\s*;\s*|[\s,]+(?:(?:and|then)\s+)?(?:also\s+)?(?=check\s+that\s)", re.I)
_COMMA = re.compile(r"\s*,\s*(?:(?:and|then|also)\s+)*", re.I)
_COURTESY_AFTER = re.compile(r"[\s,]*\b(?:please|thanks|thank\s+you|thx|cheers)[\s.!]*$", re.I)
_ANY_CHECK = re.compile(r"(?:^|(?<=[\s,;]))check\s+that\s+(?=\S)|(?:^|(?<=\s))checks\s*:", re.I)


def check_clauses(starts_clause: StartsClause) -> tuple[tuple[re.Pattern[str], _Handler], ...]:
    """The clause patterns and handlers of checks, for the grammar's clause table."""

    def on_check(part: _Text, match: re.Match[str], found: _Found) -> int:
        end, after = _check_end(part, match.end(), starts_clause)
        _add(found, part.cut(match.end(), end))
        return after

    def on_checks(part: _Text, match: re.Match[str], found: _Found) -> int:
        at = match.end()
        while True:
            end, after = _check_end(part, at, starts_clause)
            _add(found, part.cut(at, end))
            if after == end or _CHECK_THAT.match(part.mask, after):
                return after  # the list ends, or a "check that" follows
            at = after

    return ((_CHECK_THAT, on_check), (_CHECKS_LIST, on_checks))


def _check_end(part: _Text, start: int, starts_clause: StartsClause) -> tuple[int, int]:
    """Where the words of the check at `start` end, and where reading goes on (after a `;`)."""
    end = after = len(part.raw)
    if stop := _NEXT_CHECK.search(part.mask, start):
        end, after = stop.start(), stop.end() if ";" in stop.group() else stop.start()
    for comma in _COMMA.finditer(part.mask, start, end):
        if starts_clause(part, comma.end()):
            return comma.start(), comma.start()
    return end, after


def _add(found: _Found, text: _Text) -> None:
    words = _COURTESY_AFTER.sub("", text.squeezed()).rstrip(".!").strip()
    if not words:
        raise _not_understood('A check is empty: write "check that <column> is never negative".')
    if words not in found.checks:
        found.checks.append(words)


def checks_in(text: str) -> list[str]:
    """The checks said anywhere in `text` (for a request the model reads): each ``check
    that ...`` and ``checks: ...`` up to the end of its sentence, a ``;`` or the next check."""
    found = _Found()
    handlers = dict(check_clauses(lambda part, at: False))
    try:
        sentences = _Text.of(_clean(text)).split(_SENTENCE_END)
    except RequestNotUnderstood:  # a quote never closed: the model reads it as it can
        return []
    for sentence in sentences:
        for said in _ANY_CHECK.finditer(sentence.mask):
            pattern = _CHECK_THAT if said.group().lower().startswith("check ") else _CHECKS_LIST
            match = pattern.match(sentence.mask, said.start())
            if match is not None:
                handlers[pattern](sentence, match, found)
    return found.checks
