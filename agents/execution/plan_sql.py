"""Turning an approved plan SELECT into the DuckDB queries the executor streams.

The plan is MySQL dialect (what people and the LLM read); DuckDB runs it over the staged
relations. The executor wraps it so that DuckDB delivers the rows that fit their target
columns, and separately the rows that do not, with the source record and the reason — a value
that does not fit its type, or a reference to a row that is not there (``no people.id = 99``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeGuard

from sqlglot import exp

from agents.execution.references import ReferenceCheck
from agents.execution.target_columns import TargetColumn, deliver

RECORD = "__record"


def to_duckdb(select: exp.Query) -> exp.Expression:
    """The plan SELECT (already policy-checked) with the record number carried through.

    A plain single-relation SELECT (no aggregates, DISTINCT, GROUP BY or set operation)
    gets `<relation>.__record` added, so rejects can name their file line; any other
    shape delivers NULL record numbers.
    """
    select = select.copy()
    if _carries_records(select):
        source = select.args["from_"].this
        qualifier = source.alias_or_name
        select = select.select(exp.column(RECORD, table=qualifier).as_(RECORD), copy=False)
    else:
        select = exp.select(exp.Null().as_(RECORD), exp.Star()).from_(select.subquery("plan"))
    return select


def _carries_records(select: exp.Query) -> TypeGuard[exp.Select]:
    if not isinstance(select, exp.Select) or select.args.get("joins"):
        return False
    if select.args.get("distinct") or select.args.get("group") or select.args.get("with"):
        return False
    source = select.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table):
        return False
    return not any(isinstance(p.unalias(), exp.AggFunc) for p in select.expressions) and not any(
        select.find_all(exp.AggFunc)
    )


class DeliveryQuery:
    """The plan SELECT wrapped so DuckDB converts each value to its target column's type.

    `fitting_rows()` yields the source record, then the target columns ready to write;
    `unfit_rows()` yields (record, reason, column, value) for rows that cannot be stored.
    Every row of the plan is in exactly one of the two.
    """

    def __init__(
        self,
        plan_select: exp.Query,
        *,
        columns: Sequence[TargetColumn],
        references: Sequence[ReferenceCheck] = (),
    ) -> None:
        inner = to_duckdb(plan_select).sql(dialect="duckdb")
        outputs: list[str] = []
        reasons: list[tuple[str, str, str]] = []  # (condition, column, reason as SQL)
        for column in columns:
            value = f'plan."{_escape(column.name)}"'
            delivered, unfit = deliver(column, value)
            outputs.append(f'{delivered} AS "{_escape(column.name)}"')
            said = f"'{_quote(column.name)} "
            if column.not_null:
                reason = said + "is empty but must have a value'"
                reasons.append((f"{value} IS NULL", column.name, reason))
            if unfit is not None:
                reason = said + f"does not fit {_quote(column.mysql_type)}'"
                reasons.append((f"{value} IS NOT NULL AND ({unfit})", column.name, reason))
            for check in references:
                if check.column == column.name:
                    reasons.append(_orphan(check, f"CAST({delivered} AS VARCHAR)"))
        self._source = f"({inner}) AS plan"
        self._outputs = ", ".join(outputs) or "NULL"
        self._any_unfit = " OR ".join(f"({condition})" for condition, _, _ in reasons) or "false"
        self._reason = _first_match(reasons, lambda c, reason: reason)
        self._column = _first_match(reasons, lambda c, reason: f"'{_quote(c)}'")
        self._value = _first_match(reasons, lambda c, m: f'CAST(plan."{_escape(c)}" AS VARCHAR)')

    def fitting_rows(self) -> str:
        return (
            f"SELECT plan.{RECORD}, {self._outputs} FROM {self._source} "
            f"WHERE NOT ({self._any_unfit})"
        )

    def unfit_rows(self) -> str:
        return (
            f"SELECT plan.{RECORD}, {self._reason}, {self._column}, {self._value} "
            f"FROM {self._source} WHERE {self._any_unfit}"
        )


def _orphan(check: ReferenceCheck, value: str) -> tuple[str, str, str]:
    """A value that no row of the referenced key holds."""
    values = f'SELECT v FROM "{_escape(check.values_table)}"'
    condition = f"{value} IS NOT NULL AND {value} NOT IN ({values})"
    return condition, check.column, f"'no {_quote(check.parent)} = ' || {value}"


def _first_match(reasons: list[tuple[str, str, str]], then: Callable[[str, str], str]) -> str:
    if not reasons:
        return "NULL"
    branches = " ".join(f"WHEN {cond} THEN {then(col, msg)}" for cond, col, msg in reasons)
    return f"CASE {branches} END"


def _escape(name: str) -> str:
    return name.replace('"', '""')


def _quote(text: str) -> str:
    return text.replace("'", "''")
