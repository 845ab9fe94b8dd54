"""Counting queries built from a person's (or an LLM's) predicate, checked by the policy."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlglot import exp

from dolt.sql.names import quote_identifier
from dolt.sql.policy import check_select

_PARAMETER = {"sqlite": lambda: exp.Placeholder(), "mysql": lambda: exp.Var(this="%s")}


def count_query(*, table: str, columns: Collection[str], where: str | None, dialect: str) -> str:
    """`SELECT count(*) FROM table [WHERE predicate]` in `dialect`, after the policy."""
    sql = f"SELECT count(*) FROM {quote_identifier(table, quote='`')}"
    if where is not None:
        sql += f" WHERE {where}"
    checked = check_select(sql, relations={table: list(columns)})
    return checked.sql(dialect=dialect, comments=False, identify=True)


def rows_query(
    *, table: str, columns: Collection[str], where: str | None, limit: int, dialect: str
) -> tuple[str, list[Any]]:
    """`SELECT columns FROM table [WHERE predicate] LIMIT n` in `dialect`, after the policy,
    with every literal of the predicate and the limit as parameters: (sql, parameters)."""
    names = ", ".join(quote_identifier(c, quote="`") for c in columns)
    sql = f"SELECT {names} FROM {quote_identifier(table, quote='`')}"
    if where is not None:
        sql += f" WHERE {where}"
    checked = check_select(sql, relations={table: list(columns)})
    parameters: list[Any] = []
    parameter = _PARAMETER[dialect]

    def bound(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Literal):
            parameters.append(_literal_value(node))
            return parameter()
        return node

    text = checked.transform(bound).sql(dialect=dialect, comments=False, identify=True)
    parameters.append(int(limit))
    return f"{text} LIMIT {parameter().sql(dialect=dialect)}", parameters


def _literal_value(literal: exp.Literal) -> Any:
    if literal.is_string:
        return literal.this
    number = literal.this
    try:
        return int(number)
    except ValueError:
        return float(number)
