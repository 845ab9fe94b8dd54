"""A check a person wrote in words ("age is never negative", "every marriage's people exist",
"there are at least 50 people") → one Dolt test on the tables the import leaves.

`read_check` knows these forms, without a model (``<column>`` may be ``people.age``,
``people's age`` or ``the age of people``; a column only one table has needs no table):

* ``<column> is never negative`` · ``is always positive`` · ``is never null`` (or missing)
  · ``is never empty`` (NULL or '') · ``is always between A and B`` · ``is [always] at least N``
  · ``is [always] at most N`` · ``is never more|less than N`` · ``is unique`` (no value twice)
  · ``is one of a, b or c`` (NULL passes every value check but ``never null``)
* ``every <child>'s <parents> exist`` · ``every <child> has a|its <parent>`` · ``every
  <child>'s references exist`` · ``there are no orphaned <child>``: no row of the child table
  names a row the parent table lacks, through the schema's foreign keys.
* ``there are|is [at least|at most|exactly|more than|fewer than] N [rows in] <table>`` and
  ``<table> has [...] N rows``.

Each becomes ``SELECT COUNT(...) ...`` with an ``expected_single_value`` assertion; names are
quoted identifiers, numbers are parsed and strings are sqlglot literals, and the query passes
the SELECT policy (`dolt.sql.policy.check_select`) before it is written in the backend's
dialect. Words that are none of these forms give None (the model may read them); a form that
names a table or column that does not exist raises `UnknownCheckName` naming the real ones.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from agents.errors import AgentError
from agents.execution.target_columns import ForeignKey, foreign_keys, target_columns
from dolt.errors import PolicyViolation
from dolt.models import DoltTest
from dolt.sql.dialect import query_sql
from dolt.sql.names import quote_identifier
from dolt.sql.policy import check_select

__all__ = [
    "OFFLINE_FORMS",
    "CheckNotUnderstood",
    "ForeignKey",
    "TableShape",
    "UnknownCheckName",
    "check_test_name",
    "read_check",
    "table_shapes",
]

OFFLINE_FORMS = (
    '"<column> is never negative", "<column> is never null", "<column> is always between 0 '
    'and 120", "<column> is unique", "<column> is one of a, b, c", "every marriage\'s people '
    'exist", "there are at least 50 people" (or at most, exactly)'
)
_NAME_LIMIT = 200


class CheckNotUnderstood(AgentError):
    """A check in words that cannot become a test; the message says what to write."""


class UnknownCheckName(CheckNotUnderstood):
    """A check that names a table or column the import's tables do not have."""


@dataclass(frozen=True)
class TableShape:
    """What a check may name of one table: its columns and its foreign keys."""

    name: str
    columns: tuple[str, ...]
    references: tuple[ForeignKey, ...] = ()


def table_shapes(create_statements: Mapping[str, str]) -> dict[str, TableShape]:
    """The tables of canonical MySQL CREATE statements (``Database.create_statements``)."""
    shapes = {}
    for name, statement in create_statements.items():
        columns = tuple(column.name for column in target_columns(statement))
        shapes[name] = TableShape(
            name=name, columns=columns, references=tuple(foreign_keys(statement))
        )
    return shapes


def check_test_name(words: str) -> str:
    """The test's name: the check as the person wrote it."""
    return f"check: {_normal(words)}"[:_NAME_LIMIT]


def _normal(words: str) -> str:
    text = " ".join(words.split()).rstrip(".!").strip()
    return re.sub(r"^(?:check\s+)?that\s+", "", text, flags=re.I)


# The phrases ------------------------------------------------------------------------------
_NAME = r"(?:`[^`]+`|\"[^\"]+\"|[A-Za-z_][\w$]*)"
_NUMBER = r"-?\d+(?:\.\d+)?"
_VALUE = rf"(?:{_NUMBER}|'(?:[^']|'')*'|\"[^\"]*\")"
_COLUMN_REF = (
    rf"(?:the\s+)?(?:(?:every|each)\s+)?(?:(?P<table>{_NAME})(?:'s\s+|\.))?(?P<column>{_NAME})"
    rf"(?:\s+(?:of|in)\s+(?:the\s+)?(?:(?:every|each|all)\s+)?(?P<table_after>{_NAME}))?"
)
_IS = r"\s+(?:is|are)\s+"
_ALWAYS = r"(?:always\s+)?"


@dataclass(frozen=True)
class _Condition:
    """How a column fails: a SQL condition of its quoted name (True → the row fails)."""

    pattern: re.Pattern[str]
    failing: Callable[[str, re.Match[str]], str]


def _phrase(text: str) -> re.Pattern[str]:
    return re.compile(rf"{_COLUMN_REF}{text}", re.I)


_COLUMN_CONDITIONS = (
    _Condition(_phrase(rf"{_IS}never\s+negative"), lambda c, m: f"{c} < 0"),
    _Condition(
        _phrase(rf"{_IS}{_ALWAYS}(?:positive|greater\s+than\s+zero)"), lambda c, m: f"{c} <= 0"
    ),
    _Condition(_phrase(rf"{_IS}never\s+(?:null|missing)"), lambda c, m: f"{c} IS NULL"),
    _Condition(_phrase(rf"{_IS}never\s+empty"), lambda c, m: f"{c} IS NULL OR {c} = ''"),
    _Condition(
        _phrase(rf"{_IS}{_ALWAYS}between\s+(?P<low>{_VALUE})\s+and\s+(?P<high>{_VALUE})"),
        lambda c, m: f"{c} < {_literal(m['low'])} OR {c} > {_literal(m['high'])}",
    ),
    _Condition(
        _phrase(
            rf"{_IS}(?:(?:always\s+)?at\s+least|never\s+(?:less|fewer|smaller)\s+than)\s+"
            rf"(?P<value>{_VALUE})"
        ),
        lambda c, m: f"{c} < {_literal(m['value'])}",
    ),
    _Condition(
        _phrase(
            rf"{_IS}(?:(?:always\s+)?at\s+most|never\s+(?:more|greater|larger)\s+than)\s+"
            rf"(?P<value>{_VALUE})"
        ),
        lambda c, m: f"{c} > {_literal(m['value'])}",
    ),
    _Condition(
        _phrase(rf"{_IS}{_ALWAYS}one\s+of\s+(?P<values>.+)"),
        lambda c, m: f"{c} NOT IN ({', '.join(_literal(v) for v in _listed(m['values']))})",
    ),
)
_UNIQUE = _phrase(rf"(?:{_IS}{_ALWAYS}(?:unique|distinct)|\s+(?:has|have)\s+no\s+duplicates)")

_COMPARISONS = {
    "at least": ">=",
    "no fewer than": ">=",
    "no less than": ">=",
    "at most": "<=",
    "no more than": "<=",
    "exactly": "==",
    "more than": ">",
    "over": ">",
    "fewer than": "<",
    "less than": "<",
}
_COMPARISON = "|".join(c.replace(" ", r"\s+") for c in sorted(_COMPARISONS, key=len, reverse=True))
_COUNT = rf"(?:(?P<comparison>{_COMPARISON})\s+)?(?P<n>\d[\d,_]*)"
_ROWS = r"(?:rows|records|entries)"
_THERE_ARE = re.compile(
    rf"there\s+(?:are|is)\s+{_COUNT}\s+(?:{_ROWS}\s+(?:in|of)\s+(?:the\s+)?)?(?P<table>{_NAME})"
    rf"(?:\s+{_ROWS})?",
    re.I,
)
_TABLE_HAS = re.compile(
    rf"(?:the\s+)?(?:table\s+)?(?P<table>{_NAME})(?:\s+table)?\s+(?:has|have|holds?)\s+{_COUNT}"
    rf"\s+{_ROWS}",
    re.I,
)
_PARENTS = rf"(?P<parents>{_NAME}(?:\s*(?:,|and)\s*{_NAME})*)"
_EVERY = r"(?:every|each|all(?:\s+the)?)\s+"
_ORPHANS = (
    re.compile(
        rf"{_EVERY}(?P<child>{_NAME})(?:'s|')?\s+{_PARENTS}\s+(?:exists?|are\s+there|is\s+there)",
        re.I,
    ),
    re.compile(
        rf"{_EVERY}(?P<child>{_NAME})\s+(?:has|have|refers?\s+to)\s+(?:an?\s+|its\s+|their\s+)?"
        rf"(?:existing\s+)?{_PARENTS}",
        re.I,
    ),
    re.compile(
        rf"(?:there\s+are\s+no|no)\s+orphan(?:ed|s)?\s+(?P<child>{_NAME})(?:\s+{_ROWS})?", re.I
    ),
)
_ALL_REFERENCES = re.compile(r"(?:references?|links?|foreign\s+keys?)", re.I)


def read_check(
    words: str, *, tables: Mapping[str, TableShape], group: str, dialect: str
) -> DoltTest | None:
    """The Dolt test for a check in one of the offline forms, or None when it is none of them.

    `tables` are the tables once the import's DDL has run; `dialect` is the backend's
    (``sqlite`` for doltlite, ``mysql`` for Dolt sql-server)."""
    text = _normal(words)
    build = _read(text, tables)
    if build is None:
        return None
    sql, comparator, value = build
    try:
        checked = check_select(sql, relations={t.name: t.columns for t in tables.values()})
    except PolicyViolation as error:  # a name the policy refuses, a join too many
        raise CheckNotUnderstood(f'The check "{text}" cannot be a test: {error}') from None
    return DoltTest(
        name=check_test_name(words),
        group=group,
        query=query_sql(checked, dialect=dialect),
        comparator=comparator,
        value=value,
    )


def _read(text: str, tables: Mapping[str, TableShape]) -> tuple[str, str, str] | None:
    """(MySQL query, comparator, expected value) of an offline form, or None."""
    for pattern in (_THERE_ARE, _TABLE_HAS):
        if match := pattern.fullmatch(text):
            table = _table(match["table"], tables)
            n = int(match["n"].replace(",", "").replace("_", ""))
            comparison = (
                _COMPARISONS[" ".join(match["comparison"].lower().split())]
                if match["comparison"]
                else "=="
            )
            return f"SELECT COUNT(*) FROM {_q(table.name)}", comparison, str(n)
    for pattern in _ORPHANS:
        if match := pattern.fullmatch(text):
            return _orphans(match, tables), "==", "0"
    if match := _UNIQUE.fullmatch(text):
        table, column = _column(match, tables)
        counted = f"COUNT({_q(column)}) - COUNT(DISTINCT {_q(column)})"
        return f"SELECT {counted} FROM {_q(table.name)}", "==", "0"
    for condition in _COLUMN_CONDITIONS:
        if match := condition.pattern.fullmatch(text):
            table, column = _column(match, tables)
            failing = condition.failing(_q(column), match)
            return f"SELECT COUNT(*) FROM {_q(table.name)} WHERE {failing}", "==", "0"
    return None


def _orphans(match: re.Match[str], tables: Mapping[str, TableShape]) -> str:
    """Rows of the child whose foreign key (all its columns set) finds no parent row."""
    child = _table(match["child"], tables)
    parents = match.groupdict().get("parents")
    words = [] if parents is None else re.split(r"\s*(?:,|\band\b)\s*", parents)
    references = list(child.references)
    if words and not (len(words) == 1 and _ALL_REFERENCES.fullmatch(words[0])):
        wanted = {_table(word, tables).name.lower() for word in words if word}
        references = [r for r in references if r.parent.lower() in wanted]
        if not references:
            raise UnknownCheckName(
                f"{child.name} has no reference to {', '.join(sorted(wanted))}; "
                + _references_said(child)
            )
    if not references:
        raise UnknownCheckName(
            f"{child.name} has no references to check; " + _references_said(child)
        )
    joins, orphaned = [], []
    for index, reference in enumerate(references, start=1):
        alias = f"p{index}"
        on = " AND ".join(
            f"{_q('c')}.{_q(column)} = {_q(alias)}.{_q(key)}"
            for column, key in zip(reference.columns, reference.parent_columns, strict=True)
        )
        joins.append(f"LEFT JOIN {_q(reference.parent)} AS {_q(alias)} ON {on}")
        set_columns = " AND ".join(f"{_q('c')}.{_q(c)} IS NOT NULL" for c in reference.columns)
        orphaned.append(
            f"({set_columns} AND {_q(alias)}.{_q(reference.parent_columns[0])} IS NULL)"
        )
    return (
        f"SELECT COUNT(*) FROM {_q(child.name)} AS {_q('c')} {' '.join(joins)} "
        f"WHERE {' OR '.join(orphaned)}"
    )


def _references_said(table: TableShape) -> str:
    if not table.references:
        return "it has no foreign keys."
    return (
        "its foreign keys go to "
        + ", ".join(f"{r.parent} ({', '.join(r.columns)})" for r in table.references)
        + "."
    )


# Names ------------------------------------------------------------------------------------
_IRREGULAR = {"person": "people", "child": "children", "man": "men", "woman": "women"}


def _unquoted(name: str) -> str:
    return name[1:-1] if name[:1] in '`"' and name[-1:] == name[:1] else name


def _word_forms(word: str) -> list[str]:
    """The word and its singular and plural, so "marriage" finds the table marriages."""
    w = word.lower()
    forms = [w, w + "s", w + "es"]
    if w.endswith("y"):
        forms.append(w[:-1] + "ies")
    if w.endswith("ies"):
        forms.append(w[:-3] + "y")
    if w.endswith("es"):
        forms.append(w[:-2])
    if w.endswith("s"):
        forms.append(w[:-1])
    for singular, plural in _IRREGULAR.items():
        if w in (singular, singular + "s"):
            forms.append(plural)
        if w == plural:
            forms.append(singular)
    return forms


def _table(word: str, tables: Mapping[str, TableShape]) -> TableShape:
    name = _unquoted(word)
    by_lower = {table.lower(): shape for table, shape in tables.items()}
    forms = [name.lower()] if name != word else _word_forms(name)
    for form in forms:
        if form in by_lower:
            return by_lower[form]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise UnknownCheckName(
        f'There is no table "{name}".{hint} The tables are: {", ".join(sorted(tables))}.'
    )


def _column(match: re.Match[str], tables: Mapping[str, TableShape]) -> tuple[TableShape, str]:
    """The table and column a phrase names; a column without its table must be in one."""
    table_word = match["table"] or match["table_after"]
    name = _unquoted(match["column"])
    if table_word is not None:
        table = _table(table_word, tables)
        for column in table.columns:
            if column.lower() == name.lower():
                return table, column
        close = difflib.get_close_matches(name, table.columns, n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise UnknownCheckName(
            f'{table.name} has no column "{name}".{hint} Its columns are: '
            f"{', '.join(table.columns)}."
        )
    having = [
        (table, column)
        for table in tables.values()
        for column in table.columns
        if column.lower() == name.lower()
    ]
    if len(having) == 1:
        return having[0]
    if having:
        places = ", ".join(f"{t.name}.{c}" for t, c in having)
        raise UnknownCheckName(f'Several tables have a column "{name}" ({places}): name one.')
    every = sorted({c for t in tables.values() for c in t.columns})
    close = difflib.get_close_matches(name, every, n=3)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    columns = "; ".join(f"{t.name}: {', '.join(t.columns)}" for t in tables.values())
    raise UnknownCheckName(f'No table has a column "{name}".{hint} The columns are: {columns}.')


def _q(name: str) -> str:
    return quote_identifier(name, quote="`", check=False)


# Values -----------------------------------------------------------------------------------
def _literal(value: str) -> str:
    """A value of the words as a SQL literal: a number parsed, a string escaped by sqlglot."""
    value = value.strip()
    if re.fullmatch(_NUMBER, value):
        number: int | float = float(value) if "." in value else int(value)
        return exp.Literal.number(number).sql(dialect="mysql")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].replace(value[0] * 2, value[0])
    return exp.Literal.string(value).sql(dialect="mysql")


def _listed(text: str) -> Sequence[str]:
    """The values of "a, b or c" ('quoted, values' keep their commas)."""
    values, at = [], 0
    separator = re.compile(r"\s*,\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+", re.I)
    quoted = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"")
    while at < len(text):
        if match := quoted.match(text, at):
            values.append(match.group())
            at = match.end()
        else:
            stop = separator.search(text, at)
            end = stop.start() if stop else len(text)
            values.append(text[at:end])
            at = end
        if stop_here := separator.match(text, at):
            at = stop_here.end()
        elif at < len(text):
            raise CheckNotUnderstood(
                f'I could not read the values "{text}": separate them with commas or "or".'
            )
    cleaned = [v.strip() for v in values if v.strip()]
    if not cleaned:
        raise CheckNotUnderstood('A check "is one of" needs at least one value.')
    return cleaned
