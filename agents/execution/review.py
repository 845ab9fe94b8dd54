"""Building the review: what the import branch changed, what it left out, what merge would hit."""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.artifacts import ExecutionReport, Review, SampleRow, TableReview, TestOutcome
from agents.execution.branches import job_id_of
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.merging import repeated_rows_words
from agents.execution.target_columns import target_columns
from dolt.diff_csv import diff_csv
from dolt.dolt_tests import failure_in_words, plain_message
from dolt.errors import TestsUnavailable
from dolt.interface import Database
from dolt.models import RowChange, RowChangeType, TableDiff, TestResult, WriteMode
from dolt.repeated_rows import repeated_rows

TESTS_UNAVAILABLE = "Dolt tests: not available on this server"
DIFF_FILE_ROWS = 500
"""Changed rows per table in the review's CSV file (`importbot diff --csv` writes them all)."""


def build_review(
    database: Database, *, branch: str, report: ExecutionReport | None = None, samples: int = 3
) -> Review:
    main_head = database.branch(name="main").head  # read first: a merge compares it
    summary = database.diff_summary(branch=branch)
    loads = {load.table: load for load in report.loads} if report else {}
    tables = []
    for diff in summary.tables:
        if diff.name == LEDGER_TABLE:  # the product's bookkeeping, not the person's data
            continue
        changes = list(
            database.diff_rows(table=diff.name, branch=branch, limit=DIFF_FILE_ROWS)
            if diff.rows_added or diff.rows_modified or diff.rows_deleted
            else ()
        )
        tables.append(
            table_review(
                database,
                diff,
                branch=branch,
                samples=samples,
                diff_csv=diff_csv(changes) if changes else "",
                diff_csv_rows=len(changes),
                rows_filtered=loads[diff.name].filtered if diff.name in loads else 0,
                rows_rejected=loads[diff.name].rejected if diff.name in loads else 0,
            )
        )
    preview = dataclasses.replace(
        database.preview_merge(branch=branch), repeated_rows=repeated_rows(database, branch=branch)
    )
    job_id = report.job_id if report else job_id_of(branch)
    outcomes = branch_tests(database, branch=branch)
    return Review(
        job_id=job_id,
        database=database.name,
        branch=branch,
        commit=report.commit if report else database.branch(name=branch).head,
        tables=tables,
        rejected_rows=sum(load.rejected for load in report.loads) if report else 0,
        filtered_rows=sum(load.filtered for load in loads.values()),
        engine=database.engine,
        rejects=list(report.rejects) if report else [],
        destructive=_destructive_lines(report, tables) if report else [],
        conflicts=_conflict_lines(preview)
        + repeated_rows_words(database, preview.repeated_rows, job_id=job_id, branch=branch)
        + [failure_in_words(t) for t in outcomes.failing],
        tests=outcomes.tests,
        tests_note=outcomes.note,
        checks_passed=list(report.checks_passed) if report else [],
        sources=list(report.sources) if report else [],
        main_head=main_head,
    )


@dataclasses.dataclass(frozen=True)
class BranchTests:
    """The Dolt tests on a branch as the review shows them: every one, the failing ones (each
    a reason Merge is refused) and why none ran, when none could."""

    tests: list[TestOutcome]
    failing: list[TestResult]
    note: str | None = None


def branch_tests(database: Database, *, branch: str) -> BranchTests:
    """`dolt_test_run('*')` on the branch: the import's group, the person's tests and every
    test the branch inherited from main."""
    try:
        results = database.run_tests(ref=branch)
    except TestsUnavailable:
        return BranchTests(tests=[], failing=[], note=TESTS_UNAVAILABLE)
    return BranchTests(
        tests=[
            TestOutcome(
                name=r.name,
                group=r.group,
                query=r.query,
                status=r.status,
                message=plain_message(r.message),
            )
            for r in results
        ],
        failing=[r for r in results if not r.passed],
    )


def table_review(
    database: Database,
    diff: TableDiff,
    *,
    branch: str,
    base: str = "main",
    samples: int = 3,
    **measured: Any,
) -> TableReview:
    """One table's changes from `base` to `branch`, with up to `samples` rows of each kind —
    the rows main holds that change first (modified, deleted), then the added ones."""
    key = key_columns(diff.schema_after)
    counts = {
        RowChangeType.MODIFIED: diff.rows_modified,
        RowChangeType.REMOVED: diff.rows_deleted,
        RowChangeType.ADDED: diff.rows_added,
    }
    rows = [
        sample_row(change, key=key)
        for kind in (k for k, count in counts.items() if count)
        for change in database.diff_rows(
            table=diff.name, branch=branch, base=base, diff_type=kind, limit=samples
        )
    ]
    return TableReview(
        name=diff.name,
        change=diff.change.value,
        rows_added=diff.rows_added,
        rows_modified=diff.rows_modified,
        rows_deleted=diff.rows_deleted,
        rows_before=diff.old_row_count,
        rows_after=diff.new_row_count,
        schema_change=diff.schema_changed,
        schema_before=diff.schema_before,
        schema_after=diff.schema_after,
        samples=rows,
        **measured,
    )


def key_columns(create_statement: str | None) -> list[str]:
    """The primary-key columns of a CREATE statement (none when it has none or is unknown)."""
    if not create_statement:
        return []
    return [column.name for column in target_columns(create_statement) if column.primary_key]


def sample_row(change: RowChange, *, key: list[str]) -> SampleRow:
    """A changed row as the review shows it: a modified one as its key and changed cells."""
    before, after = change.from_row or {}, change.to_row or {}
    if change.diff_type != RowChangeType.MODIFIED:
        return SampleRow(change=change.diff_type.value, row=after or before)
    columns = dict.fromkeys([*after, *before])
    changed = [c for c in columns if c not in key and before.get(c) != after.get(c)]
    return SampleRow(
        change=change.diff_type.value,
        row={c: after.get(c) for c in columns if c in key or c in changed},
        before={c: before.get(c) for c in changed},
    )


def _conflict_lines(preview) -> list[str]:
    lines = [f"{c.table}: {c.count} conflicting row(s)" for c in preview.data_conflicts]
    lines += [f"{c.table}: {c.description}" for c in preview.schema_conflicts]
    lines += [
        f"{v.table}: {v.count} constraint violation(s)" for v in preview.constraint_violations
    ]
    if preview.error:
        lines.append(preview.error)
    return lines


def _destructive_lines(report: ExecutionReport, tables: list[TableReview]) -> list[str]:
    """Rows of main that merging deletes (replace) or overwrites (upsert), as measured."""
    modes = {load.table: load.mode for load in report.loads}
    lines = []
    for table in tables:
        mode = modes.get(table.name)
        if mode == WriteMode.REPLACE and table.rows_before:
            lines.append(
                f"{table.name}: replace — merging deletes the {_rows(table.rows_before)} main "
                f"holds and writes {_rows(table.rows_after)}"
            )
        elif mode == WriteMode.UPSERT and table.rows_modified:
            lines.append(
                f"{table.name}: upsert — merging overwrites {_rows(table.rows_modified)} of "
                "main with the file's values"
            )
    return lines


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
