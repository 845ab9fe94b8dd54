"""Counting queries built from a person's (or an LLM's) predicate, checked by the policy."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlglot import exp

from dolt.errors import PolicyViolation
from dolt.sql.dialect import query_sql
from dolt.sql.names import quote_identifier
from dolt.sql.policy import check_select

_PARAMETER = {"sqlite": lambda: exp.Placeholder(), "mysql": lambda: exp.Var(this="%s")}


_BUILT_CLAUSES = frozenset({"expressions", "from", "from_", "where"})
"""The clauses of the SELECT these queries build; a predicate may add nothing else."""
_CLAUSE_WORDS = {"order": "ORDER BY", "group": "GROUP BY", "windows": "WINDOW"}


def _checked_select(
    *, what: str, table: str, columns: Collection[str], where: str | None
) -> exp.Select:
    """`SELECT what FROM table [WHERE where]`, passed by the policy, with `where` one
    condition: text after it that makes a clause of its own (UNION, ORDER BY, LIMIT,
    GROUP BY ...) is refused."""
    sql = f"SELECT {what} FROM {quote_identifier(table, quote='`')}"
    if where is not None:
        sql += f" WHERE {where}"
    checked = check_select(sql, relations={table: list(columns)})
    if not isinstance(checked, exp.Select):
        raise _not_one_condition(where, [checked.key])
    beyond = [key for key, value in checked.args.items() if value and key not in _BUILT_CLAUSES]
    if beyond:
        raise _not_one_condition(where, beyond)
    return checked


def _not_one_condition(where: str | None, clauses: list[str]) -> PolicyViolation:
    words = ", ".join(_CLAUSE_WORDS.get(clause, clause.upper()) for clause in clauses)
    return PolicyViolation(f"{where!r} must be one condition, without {words}.")


def count_query(*, table: str, columns: Collection[str], where: str | None, dialect: str) -> str:
    """`SELECT count(*) FROM table [WHERE predicate]` in `dialect`, after the policy."""
    checked = _checked_select(what="count(*)", table=table, columns=columns, where=where)
    return query_sql(checked, dialect=dialect)


def rows_query(
    *, table: str, columns: Collection[str], where: str | None, limit: int, dialect: str
) -> tuple[str, list[Any]]:
    """`SELECT columns FROM table [WHERE predicate] LIMIT n` in `dialect`, after the policy,
    with every literal of the predicate and the limit as parameters: (sql, parameters)."""
    names = ", ".join(quote_identifier(c, quote="`") for c in columns)
    checked = _checked_select(what=names, table=table, columns=columns, where=where)
    parameters: list[Any] = []
    parameter = _PARAMETER[dialect]

    def bound(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Literal):
            parameters.append(_literal_value(node))
            return parameter()
        return node

    text = query_sql(checked.transform(bound), dialect=dialect)
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
