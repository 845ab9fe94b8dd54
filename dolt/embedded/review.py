"""Reading what a branch changed and what a merge would hit, on doltlite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from dolt.embedded.connect import sqlite3
from dolt.models import (
    ConstraintViolations,
    DataConflict,
    RowChange,
    RowChangeType,
    SchemaConflict,
    TableChange,
    TableDiff,
)
from dolt.sql.dialect import sqlite_to_mysql
from dolt.sql.names import quote_identifier

_DIFF_META_COLUMNS = frozenset({"to_commit", "to_commit_date", "from_commit", "from_commit_date"})
_CONFLICT_META_COLUMNS = frozenset({"from_root_ish", "dolt_conflict_id"})


def table_diffs(
    connection: sqlite3.Connection,
    *,
    three_dot: str,
    before: dict[str, str],
    after: dict[str, str],
    count_before: Callable[[str], int],
    count_after: Callable[[str], int],
) -> tuple[TableDiff, ...]:
    """Per-table changes of `three_dot` ('base...branch').

    `before`/`after` are the MySQL CREATE statements at the merge base and at the branch; the
    counters give row counts for tables `dolt_diff_stat` does not report (schema-only changes).
    """
    summary = connection.execute(
        "SELECT from_table_name, to_table_name, diff_type, data_change, schema_change "
        "FROM dolt_diff_summary(?)",
        (three_dot,),
    ).fetchall()
    stats = {
        row[0]: row
        for row in connection.execute(
            "SELECT table_name, rows_added, rows_deleted, rows_modified, old_row_count, "
            "new_row_count FROM dolt_diff_stat(?)",
            (three_dot,),
        )
    }
    diffs = []
    for from_name, to_name, diff_type, data_change, schema_change in summary:
        name = to_name or from_name
        change = TableChange(diff_type)
        stat = stats.get(name) or stats.get(from_name)
        if stat is not None:
            _, added, deleted, modified, old_count, new_count = stat
        else:
            added = deleted = modified = 0
            old_count = count_before(from_name) if from_name else 0
            new_count = count_after(to_name) if to_name else 0
        diffs.append(
            TableDiff(
                name=name,
                change=change,
                data_changed=bool(data_change),
                schema_changed=bool(schema_change),
                rows_added=int(added),
                rows_modified=int(modified),
                rows_deleted=int(deleted),
                old_row_count=int(old_count),
                new_row_count=int(new_count),
                schema_before=before.get(from_name) if from_name else None,
                schema_after=after.get(to_name) if to_name else None,
                old_name=from_name if change == TableChange.RENAMED else None,
            )
        )
    return tuple(sorted(diffs, key=lambda d: d.name))


def diff_rows(
    connection: sqlite3.Connection,
    *,
    table: str,
    three_dot: str,
    diff_type: RowChangeType | None,
    limit: int | None,
) -> Iterator[RowChange]:
    """Stream the row changes of one table (`dolt_diff_<table>('base...branch')`)."""
    sql = f"SELECT * FROM {quote_identifier('dolt_diff_' + table, check=False)}(?)"
    params: list[Any] = [three_dot]
    if diff_type is not None:
        sql += " WHERE diff_type = ?"
        params.append(RowChangeType(diff_type).value)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    cursor = connection.execute(sql, params)
    names = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(1000):
        for row in rows:
            yield _row_change(names, row)


def _row_change(names: list[str], row: tuple[Any, ...]) -> RowChange:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    kind = RowChangeType.MODIFIED
    for name, value in zip(names, row, strict=True):
        if name == "diff_type":
            kind = RowChangeType(value)
        elif name in _DIFF_META_COLUMNS:
            continue
        elif name.startswith("to_"):
            after[name[3:]] = value
        elif name.startswith("from_"):
            before[name[5:]] = value
    return RowChange(
        diff_type=kind,
        from_row=None if kind == RowChangeType.ADDED else before,
        to_row=None if kind == RowChangeType.REMOVED else after,
    )


def read_conflicts(
    connection: sqlite3.Connection, *, examples: int
) -> tuple[tuple[DataConflict, ...], tuple[SchemaConflict, ...], tuple[ConstraintViolations, ...]]:
    """What an in-progress merge on `connection` ran into (read inside its transaction)."""
    data = []
    for table, count in connection.execute('SELECT "table", num_conflicts FROM dolt_conflicts'):
        data.append(
            DataConflict(
                table=table,
                count=int(count),
                examples=_conflict_examples(connection, table, examples),
            )
        )
    schema = [
        SchemaConflict(
            table=name,
            description=description,
            base_schema=_schema_or_none(base),
            our_schema=_schema_or_none(ours),
            their_schema=_schema_or_none(theirs),
        )
        for name, base, ours, theirs, description in connection.execute(
            "SELECT table_name, base_schema, our_schema, their_schema, description "
            "FROM dolt_schema_conflicts"
        )
    ]
    violations = [
        ConstraintViolations(table=table, count=int(count))
        for table, count in connection.execute(
            'SELECT "table", num_violations FROM dolt_constraint_violations'
        )
    ]
    return tuple(data), tuple(schema), tuple(violations)


def _schema_or_none(create_sql: str | None) -> str | None:
    if not create_sql or create_sql.startswith("<"):  # '<deleted>' marks a missing side
        return None
    try:
        return sqlite_to_mysql(create_sql)
    except Exception:  # a schema we cannot pretty-print is still worth showing as it is
        return create_sql


def _conflict_examples(
    connection: sqlite3.Connection, table: str, limit: int
) -> tuple[dict[str, Any], ...]:
    cursor = connection.execute(
        f"SELECT * FROM {quote_identifier('dolt_conflicts_' + table, check=False)} LIMIT ?",
        (limit,),
    )
    names = [d[0] for d in cursor.description]
    examples = []
    for row in cursor.fetchall():
        sides: dict[str, dict[str, Any]] = {"base": {}, "ours": {}, "theirs": {}}
        for name, value in zip(names, row, strict=True):
            if name in _CONFLICT_META_COLUMNS or name.endswith("_diff_type"):
                continue
            for prefix, side in (("base_", "base"), ("our_", "ours"), ("their_", "theirs")):
                if name.startswith(prefix):
                    sides[side][name[len(prefix) :]] = value
                    break
        examples.append(
            {
                side: (values if any(v is not None for v in values.values()) else None)
                for side, values in sides.items()
            }
        )
    return tuple(examples)
