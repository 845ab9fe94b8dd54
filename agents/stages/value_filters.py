"""Filters in words whose column only the data can tell: "just the Gentoo penguins" (the one
text column holding "Gentoo") and "only 2000 and later" (the one year or date column).

The grammar records them as `ValueFilter`s; at plan time `resolve_value_filters` looks at the
staged sources and turns each into a condition of the request's `where`, or refuses, naming the
candidate columns, so the person can say which one with `where <column> = '<value>'`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agents.artifacts import ImportRequest, SourceProfile, ValueFilter
from agents.errors import ProposalInvalid
from agents.stages.grammar import check_predicate
from dolt.sql.names import quote_identifier

_TEXT_TYPES = ("VARCHAR", "CHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT")
_DATE_TYPES = ("DATE", "DATETIME", "TIMESTAMP")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR")
_YEAR_NAME = re.compile(r"(^|_)(year|yr)(_|$)", re.I)


def resolve_value_filters(
    request: ImportRequest, profiles: Sequence[SourceProfile], *, duckdb: Any
) -> ImportRequest:
    """`request` with every value filter turned into a condition of its `where`."""
    if not request.value_filters:
        return request
    conditions = [request.where] if request.where else []
    conditions += [_condition(f, profiles, duckdb) for f in request.value_filters]
    where = conditions[0] if len(conditions) == 1 else " AND ".join(f"({c})" for c in conditions)
    return request.model_copy(update={"where": check_predicate(where), "value_filters": []})


def _condition(value_filter: ValueFilter, profiles: Sequence[SourceProfile], duckdb: Any) -> str:
    if value_filter.kind == "text":
        return _text_condition(value_filter.value, profiles, duckdb)
    return _year_condition(value_filter, profiles)


def _text_condition(value: str, profiles: Sequence[SourceProfile], duckdb: Any) -> str:
    text_columns = [
        (profile, column)
        for profile in profiles
        for column in profile.columns
        if _base_type(column.inferred_type) in _TEXT_TYPES
    ]
    holding = sorted(
        {
            column.name
            for profile, column in text_columns
            if _holds(duckdb, profile.relation, column.name, value)
        }
    )
    if len(holding) == 1:
        return f"{_column(holding[0])} = '{value.replace(chr(39), chr(39) * 2)}'"
    if not holding:
        searched = sorted({column.name for _, column in text_columns})
        raise ProposalInvalid(
            f"No text column of the sources holds the value {value!r} (searched: "
            f"{', '.join(searched) or 'no text columns'}); say which rows to keep with "
            "\"where <column> = '<value>'\"."
        )
    raise ProposalInvalid(
        f"The value {value!r} is in several columns ({', '.join(holding)}); say which one with "
        f"\"where {holding[0]} = '{value}'\"."
    )


def _year_condition(value_filter: ValueFilter, profiles: Sequence[SourceProfile]) -> str:
    candidates: dict[str, bool] = {}  # column -> is a date (else an integer year)
    for profile in profiles:
        for column in profile.columns:
            base = _base_type(column.inferred_type)
            if base in _DATE_TYPES:
                candidates[column.name] = True
            elif base in _INTEGER_TYPES and _YEAR_NAME.search(column.name):
                candidates[column.name] = False
    if len(candidates) != 1:
        found = ", ".join(sorted(candidates)) or "none"
        raise ProposalInvalid(
            f"I cannot tell which column holds the year (year or date columns: {found}); say it "
            f'with "where <column> {value_filter.operator} {value_filter.value}".'
        )
    ((name, is_date),) = candidates.items()
    year, operator = int(value_filter.value), value_filter.operator
    if not is_date:
        return f"{_column(name)} {operator} {year}"
    # a date compares with the first day of a year: >= 2000 is >= 2000-01-01, > 2000 is >=
    # 2001-01-01, < 2000 is < 2000-01-01, <= 2000 is < 2001-01-01
    bound, comparison = {
        ">=": (year, ">="),
        ">": (year + 1, ">="),
        "<": (year, "<"),
        "<=": (year + 1, "<"),
        "=": (year, "="),
    }[operator]
    if comparison == "=":
        return f"{_column(name)} >= '{year:04d}-01-01' AND {_column(name)} < '{year + 1:04d}-01-01'"
    return f"{_column(name)} {comparison} '{bound:04d}-01-01'"


def _holds(duckdb: Any, relation: str, column: str, value: str) -> bool:
    sql = (
        f"SELECT 1 FROM {quote_identifier(relation)} "
        f"WHERE CAST({quote_identifier(column)} AS VARCHAR) = ? LIMIT 1"
    )
    return duckdb.execute(sql, [value]).fetchone() is not None


def _column(name: str) -> str:
    return (
        name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else quote_identifier(name, quote="`")
    )


def _base_type(inferred: str) -> str:
    return re.split(r"[\s(]", inferred.strip().upper(), maxsplit=1)[0]
