"""Review on a Dolt sql-server: diff summaries, row diffs and merge-conflict previews.

Each function takes an open `ServerConnection` and reads Dolt's documented table functions
(``DOLT_DIFF_SUMMARY``, ``DOLT_DIFF_STAT``, ``DOLT_SCHEMA_DIFF``, ``DOLT_DIFF``,
``DOLT_PREVIEW_MERGE_CONFLICTS[_SUMMARY]``) or system tables (``dolt_conflicts`` and friends).
Table functions take literal arguments; mysql-connector binds parameters client-side, so the
values still travel as parameters, never spliced into the SQL text by us.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dolt.errors import DoltError, SqlError
from dolt.models import (
    ConflictPreview,
    ConstraintViolations,
    DataConflict,
    DiffSummary,
    RowChange,
    RowChangeType,
    SchemaConflict,
    TableChange,
    TableDiff,
)
from dolt.sql.dialect import canonical_mysql
from dolt.sqlserver.connect import ServerConnection, quote
from dolt.sqlserver.errors import server_words

# Columns DOLT_DIFF adds next to the table's own from_*/to_* columns.
_DIFF_META_COLUMNS = frozenset(
    {"from_commit", "from_commit_date", "to_commit", "to_commit_date", "diff_type"}
)
# Columns of dolt_conflicts_<t> / DOLT_PREVIEW_MERGE_CONFLICTS that are not row values.
_CONFLICT_META_COLUMNS = frozenset(
    {
        "from_root_ish",
        "our_diff_type",
        "their_diff_type",
        "dolt_conflict_id",
        "base_cardinality",
        "our_cardinality",
        "their_cardinality",
    }
)
_CONFLICT_SIDES = (("base", "base_"), ("ours", "our_"), ("theirs", "their_"))


class PreviewFunctionsMissing(DoltError):
    """The server predates ``DOLT_PREVIEW_MERGE_CONFLICTS_SUMMARY``; preview by a trial merge."""


def is_system_table(name: str) -> bool:
    return name.lower().startswith("dolt_")


# diff summary ---------------------------------------------------------------


def read_diff_summary(connection: ServerConnection, *, base: str, branch: str) -> DiffSummary:
    """What `branch` changed since it forked from `base` (three-dot), per table.

    `connection` must be pinned to `branch`: tables whose schema did not change, and row counts
    Dolt leaves NULL (keyless tables), are read from it.
    """
    spec = f"{base}...{branch}"
    summary = connection.rows("SELECT * FROM DOLT_DIFF_SUMMARY(%s)", (spec,))
    stats = {
        r["table_name"]: r for r in connection.rows("SELECT * FROM DOLT_DIFF_STAT(%s)", (spec,))
    }
    schemas = {
        (r["to_table_name"] or r["from_table_name"]): r
        for r in connection.rows("SELECT * FROM DOLT_SCHEMA_DIFF(%s)", (spec,))
    }
    tables = []
    for row in summary:
        name = row["to_table_name"] or row["from_table_name"]
        if is_system_table(name):
            continue
        old_name = row["from_table_name"] or None
        stat = stats.get(name) or stats.get(old_name) or {}
        tables.append(
            _table_diff(connection, row=row, stat=stat, schema=schemas.get(name), name=name)
        )
    tables.sort(key=lambda t: t.name)
    return DiffSummary(base=base, branch=branch, tables=tuple(tables))


def _table_diff(
    connection: ServerConnection,
    *,
    row: dict[str, Any],
    stat: dict[str, Any],
    schema: dict[str, Any] | None,
    name: str,
) -> TableDiff:
    change = TableChange(str(row["diff_type"]).lower())
    added, modified, deleted = (
        int(stat.get(k) or 0) for k in ("rows_added", "rows_modified", "rows_deleted")
    )
    old_count, new_count = stat.get("old_row_count"), stat.get("new_row_count")
    if new_count is None:
        new_count = 0 if change == TableChange.DROPPED else _count_rows(connection, name)
    if old_count is None:
        old_count = 0 if change == TableChange.ADDED else new_count - added + deleted
    before, after = _schemas(connection, change=change, schema=schema, name=name)
    return TableDiff(
        name=name,
        change=change,
        data_changed=bool(row["data_change"]),
        schema_changed=bool(row["schema_change"]),
        rows_added=added,
        rows_modified=modified,
        rows_deleted=deleted,
        old_row_count=int(old_count),
        new_row_count=int(new_count),
        schema_before=before,
        schema_after=after,
        old_name=(row["from_table_name"] or None) if change == TableChange.RENAMED else None,
    )


def _schemas(
    connection: ServerConnection,
    *,
    change: TableChange,
    schema: dict[str, Any] | None,
    name: str,
) -> tuple[str | None, str | None]:
    """CREATE statements before and after; an unchanged schema is read from the branch."""
    if schema is not None:
        before = _canonical_or_none(schema.get("from_create_statement"))
        after = _canonical_or_none(schema.get("to_create_statement"))
    else:
        current = show_create_table(connection, name) if change != TableChange.DROPPED else None
        before = after = current
    if change == TableChange.ADDED:
        before = None
    if change == TableChange.DROPPED:
        after = None
    return before, after


def _canonical_or_none(statement: object) -> str | None:
    if statement is None or not str(statement).strip():
        return None
    return canonical_mysql(str(statement))


def show_create_table(connection: ServerConnection, table: str) -> str:
    """``SHOW CREATE TABLE`` in canonical MySQL dialect."""
    found = connection.tuples(f"SHOW CREATE TABLE {quote(table)}")
    return canonical_mysql(str(found[0][1]))


def _count_rows(connection: ServerConnection, table: str) -> int:
    return int(connection.scalar(f"SELECT COUNT(*) FROM {quote(table)}"))


# row diffs ------------------------------------------------------------------


def stream_row_changes(
    connection: ServerConnection,
    *,
    table: str,
    base: str,
    branch: str,
    diff_type: RowChangeType | None = None,
    limit: int | None = None,
) -> Iterator[RowChange]:
    """Rows of ``DOLT_DIFF('base...branch', 'table')`` as `RowChange`s, streamed."""
    quote(table)  # validates the name
    sql = "SELECT * FROM DOLT_DIFF(%s, %s)"
    params: list[Any] = [f"{base}...{branch}", table]
    if diff_type is not None:
        sql += " WHERE diff_type = %s"
        params.append(RowChangeType(diff_type).value)
    if limit is not None:
        sql += " LIMIT %s"
        params.append(max(0, int(limit)))
    for row in connection.stream(sql, params):
        yield row_change(row)


def row_change(row: dict[str, Any]) -> RowChange:
    """One DOLT_DIFF row → `RowChange` with plain column names on each side."""
    kind = RowChangeType(str(row["diff_type"]).lower())
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column, value in row.items():
        if column in _DIFF_META_COLUMNS:
            continue
        if column.startswith("from_"):
            before[column.removeprefix("from_")] = value
        elif column.startswith("to_"):
            after[column.removeprefix("to_")] = value
    return RowChange(
        diff_type=kind,
        from_row=None if kind == RowChangeType.ADDED else before,
        to_row=None if kind == RowChangeType.REMOVED else after,
    )


# conflict previews ----------------------------------------------------------


def preview_with_functions(
    connection: ServerConnection, *, branch: str, into: str, examples: int
) -> ConflictPreview:
    """Conflicts from ``DOLT_PREVIEW_MERGE_CONFLICTS[_SUMMARY]`` (no merge is attempted).

    Raises `PreviewFunctionsMissing` on servers without these functions. They report data and
    schema conflicts; constraint violations show up only in a real (trial) merge.
    """
    try:
        summary = connection.rows(
            "SELECT * FROM DOLT_PREVIEW_MERGE_CONFLICTS_SUMMARY(%s, %s)", (into, branch)
        )
    except SqlError as exc:
        if _is_missing_function(exc):
            raise PreviewFunctionsMissing(str(exc)) from exc
        return ConflictPreview(branch=branch, into=into, error=server_words(exc))
    data: list[DataConflict] = []
    schema: list[SchemaConflict] = []
    for row in summary:
        table = str(row["table"])
        schema_count = int(row.get("num_schema_conflicts") or 0)
        if schema_count:
            schema.append(_schema_conflict_from_summary(table, schema_count, into, branch))
            continue
        count = int(row.get("num_data_conflicts") or 0)
        if count:
            sample = connection.rows(
                "SELECT * FROM DOLT_PREVIEW_MERGE_CONFLICTS(%s, %s, %s) LIMIT %s",
                (into, branch, table, max(0, examples)),
            )
            data.append(DataConflict(table=table, count=count, examples=_examples(sample)))
    return ConflictPreview(
        branch=branch, into=into, data_conflicts=tuple(data), schema_conflicts=tuple(schema)
    )


def _schema_conflict_from_summary(table: str, count: int, into: str, branch: str) -> SchemaConflict:
    return SchemaConflict(
        table=table,
        description=(
            f"{count} schema conflict(s): {table!r} was changed differently on {into!r} "
            f"and on {branch!r}."
        ),
    )


def read_merge_state(
    connection: ServerConnection, *, branch: str, into: str, examples: int
) -> ConflictPreview:
    """Conflicts of the merge in progress on `connection` (inside its open transaction)."""
    data = []
    for row in connection.rows("SELECT * FROM dolt_conflicts"):
        table = str(row["table"])
        sample = connection.rows(
            f"SELECT * FROM {_system_table('dolt_conflicts_', table)} LIMIT %s",
            (max(0, examples),),
        )
        count = int(row["num_conflicts"])
        data.append(DataConflict(table=table, count=count, examples=_examples(sample)))
    schema = [
        SchemaConflict(
            table=str(r["table_name"]),
            description=str(r.get("description") or ""),
            base_schema=_canonical_or_none(r.get("base_schema")),
            our_schema=_canonical_or_none(r.get("our_schema")),
            their_schema=_canonical_or_none(r.get("their_schema")),
        )
        for r in connection.rows("SELECT * FROM dolt_schema_conflicts")
    ]
    violations = [
        ConstraintViolations(table=str(r["table"]), count=int(r["num_violations"]))
        for r in connection.rows("SELECT * FROM dolt_constraint_violations")
    ]
    return ConflictPreview(
        branch=branch,
        into=into,
        data_conflicts=tuple(data),
        schema_conflicts=tuple(schema),
        constraint_violations=tuple(violations),
    )


def _system_table(prefix: str, table: str) -> str:
    """``dolt_conflicts_<t>``-style names: the prefix is ours, the table name is validated."""
    quote(table)
    return "`" + (prefix + table).replace("`", "``") + "`"


def _examples(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    return tuple(conflict_example(row) for row in rows)


def conflict_example(row: dict[str, Any]) -> dict[str, Any]:
    """A conflict row → ``{"base": row|None, "ours": row|None, "theirs": row|None}``."""
    sides: dict[str, dict[str, Any]] = {side: {} for side, _ in _CONFLICT_SIDES}
    for column, value in row.items():
        if column in _CONFLICT_META_COLUMNS:
            continue
        for side, prefix in _CONFLICT_SIDES:
            if column.startswith(prefix):
                sides[side][column.removeprefix(prefix)] = value
                break
    removed = {
        "ours": str(row.get("our_diff_type") or "").lower() == "removed",
        "theirs": str(row.get("their_diff_type") or "").lower() == "removed",
    }
    return {
        side: None if removed.get(side) or all(v is None for v in values.values()) else values
        for side, values in sides.items()
    }


def _is_missing_function(error: SqlError) -> bool:
    text = str(error).lower()
    errno = getattr(error.__cause__, "errno", None)
    if errno in (1064, 1305):  # a server that cannot parse or does not know the function
        return True
    return "not found" in text and ("table function" in text or "function:" in text)
