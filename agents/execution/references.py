"""Rows whose reference has no row to refer to (orphans), found before anything is written.

A declared foreign key — on a table this import creates, or on one already on main — makes the
database refuse a row whose value names no row of the referenced table (a parent left out by
the request's filter, or rejected, or never there). Such a row is a reject like a value that
does not fit: before a step is written, the referenced key's values on the branch (main's rows
and those this import loaded before it, parents first) are copied into the job's DuckDB, and
the delivery query sets aside every row whose value is not among them, with the reason
``no people.id = 99``. One reject per row, counted like any other; the import goes on, and
the native loader never meets a row the database would refuse for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agents.execution.target_columns import foreign_keys
from agents.staging.names import quote_ident

_BATCH = 100_000

KeyValues = Callable[[str, str], Iterable[Any]]  # (table, column) -> the values on the branch


@dataclass(frozen=True)
class ReferenceCheck:
    """A column whose non-NULL values must be among the values held in `values_table`."""

    column: str
    values_table: str  # a DuckDB table with one VARCHAR column `v`
    parent: str  # ``people.id``, for the reason


def single_column_references(create_statement: str) -> list[tuple[str, str, str]]:
    """(column, referenced table, referenced column) of each one-column FOREIGN KEY."""
    return [
        (key.columns[0], key.parent, key.parent_columns[0])
        for key in foreign_keys(create_statement)
        if len(key.columns) == 1
    ]


def reference_checks(
    duckdb: Any, *, create_statement: str, columns: Sequence[str], key_values: KeyValues
) -> list[ReferenceCheck]:
    """The checks for the references of a table's written `columns`, their values copied
    into DuckDB (`drop_reference_values` removes them once the table is loaded)."""
    checks: list[ReferenceCheck] = []
    for index, (column, table, key) in enumerate(single_column_references(create_statement)):
        if column not in columns:
            continue
        name = f"__parent_keys_{index}"
        _copy_values(duckdb, name, key_values(table, key))
        checks.append(ReferenceCheck(column=column, values_table=name, parent=f"{table}.{key}"))
    return checks


def drop_reference_values(duckdb: Any, checks: Sequence[ReferenceCheck]) -> None:
    for check in checks:
        duckdb.execute(f"DROP TABLE IF EXISTS {quote_ident(check.values_table)}")


def _copy_values(duckdb: Any, name: str, values: Iterable[Any]) -> None:
    """`values` as text (how delivered values are compared) into a new DuckDB table."""
    table = quote_ident(name)
    insert = f"INSERT INTO {table} SELECT unnest($values::VARCHAR[])"
    duckdb.execute(f"CREATE OR REPLACE TABLE {table} (v VARCHAR)")
    batch: list[str] = []
    for value in values:
        if value is not None:
            batch.append(str(value))
        if len(batch) >= _BATCH:
            duckdb.execute(insert, {"values": batch})
            batch = []
    if batch:
        duckdb.execute(insert, {"values": batch})
