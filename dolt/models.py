"""Typed results of the Dolt layer (plain frozen dataclasses; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Author:
    """Who a commit or merge is attributed to."""

    name: str
    email: str

    def __post_init__(self) -> None:
        for value in (self.name, self.email):
            if any(ch in value for ch in "<>\n\r\x00"):
                raise ValueError(f"Author field {value!r} contains <, >, a newline or NUL")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class BranchInfo:
    name: str
    head: str
    message: str
    author: str
    author_email: str
    date: str


class WriteMode(StrEnum):
    """How rows reach a table, as `dolt table import` defines the modes."""

    CREATE = "create"  # new table; plain inserts, a duplicate key is an error
    APPEND = "append"  # existing table; plain inserts, a duplicate key is an error
    UPSERT = "upsert"  # insert new keys, update rows whose key exists (dolt's "update")
    REPLACE = "replace"  # delete every existing row first, then insert


class TableChange(StrEnum):
    ADDED = "added"
    DROPPED = "dropped"
    MODIFIED = "modified"
    RENAMED = "renamed"


class RowChangeType(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


@dataclass(frozen=True)
class RowChange:
    """One row of a diff: the row before (`from_row`) and after (`to_row`), by column name."""

    diff_type: RowChangeType
    from_row: dict[str, Any] | None
    to_row: dict[str, Any] | None


@dataclass(frozen=True)
class TableDiff:
    name: str
    change: TableChange
    data_changed: bool
    schema_changed: bool
    rows_added: int
    rows_modified: int
    rows_deleted: int
    old_row_count: int
    new_row_count: int
    schema_before: str | None  # CREATE statement in MySQL dialect, None if the table is new
    schema_after: str | None  # None if the table was dropped
    old_name: str | None = None


@dataclass(frozen=True)
class DiffSummary:
    """Three-dot diff between a base ref and a branch: what the branch changed."""

    base: str
    branch: str
    tables: tuple[TableDiff, ...]

    @property
    def is_empty(self) -> bool:
        return not self.tables

    def table(self, name: str) -> TableDiff:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


@dataclass(frozen=True)
class DataConflict:
    table: str
    count: int
    examples: tuple[
        dict[str, Any], ...
    ]  # each: {"base": row|None, "ours": row|None, "theirs": row|None}


@dataclass(frozen=True)
class SchemaConflict:
    table: str
    description: str
    base_schema: str | None = None
    our_schema: str | None = None
    their_schema: str | None = None


@dataclass(frozen=True)
class ConstraintViolations:
    table: str
    count: int


@dataclass(frozen=True)
class RepeatedRows:
    """Rows of a keyless table a merge would add although the target already holds them."""

    table: str
    count: int


@dataclass(frozen=True)
class ConflictPreview:
    """What a merge of `branch` into `into` would run into, found without changing anything."""

    branch: str
    into: str
    data_conflicts: tuple[DataConflict, ...] = ()
    schema_conflicts: tuple[SchemaConflict, ...] = ()
    constraint_violations: tuple[ConstraintViolations, ...] = ()
    error: str | None = None  # a merge that fails outright (e.g. tables added on both sides)
    repeated_rows: tuple[RepeatedRows, ...] = ()
    """Found by `dolt.repeated_rows` (Dolt's own merge would add them again, silently)."""
    failing_tests: tuple[str, ...] = ()
    """Dolt tests that fail on the merged result, each in words (`Dolt test 'x' fails: ...`)."""

    @property
    def clean(self) -> bool:
        return not (
            self.data_conflicts
            or self.schema_conflicts
            or self.constraint_violations
            or self.error
            or self.repeated_rows
            or self.failing_tests
        )


@dataclass(frozen=True)
class MergeResult:
    hash: str
    fast_forward: bool
    already_up_to_date: bool = False


@dataclass(frozen=True)
class RejectedRow:
    """A row the database refused, kept with its position in the input and the reason."""

    index: int  # 0-based position in the rows handed to `insert_rows`
    row: tuple[Any, ...]
    reason: str


@dataclass(frozen=True)
class InsertResult:
    inserted: int
    rejected: tuple[RejectedRow, ...] = field(default=())


@dataclass(frozen=True)
class DoltTest:
    """One row of `dolt_tests`: a query and what it must return (Dolt's assertion columns)."""

    name: str
    group: str
    query: str
    assertion_type: str = "expected_single_value"  # or expected_rows, expected_columns
    comparator: str = "=="  # ==, !=, <, <=, >, >=
    value: str = "0"


@dataclass(frozen=True)
class TestResult:
    """One row of `dolt_test_run()`: a test's outcome on a ref."""

    __test__ = False  # not a pytest test class

    name: str
    group: str
    query: str
    status: str  # PASS or FAIL, as Dolt says it
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status.upper() == "PASS"
