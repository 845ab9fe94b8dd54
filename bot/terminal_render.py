"""Pure renderers from Dolt-layer results to rich renderables for the terminal."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from dolt.models import BranchInfo, ConflictPreview, DiffSummary, MergeResult, RowChange


def branches_table(branches: list[BranchInfo]) -> Table:
    table = Table(title="Branches")
    for column in ("branch", "head", "author", "date", "message"):
        table.add_column(column)
    for info in branches:
        table.add_row(info.name, info.head[:12], info.author, info.date, info.message)
    return table


def diff_summary_table(summary: DiffSummary) -> Table:
    table = Table(title=f"Changes on {summary.branch} since it left {summary.base}")
    for column in ("table", "change", "added", "modified", "deleted", "rows before", "rows after"):
        table.add_column(column, justify="left" if column in ("table", "change") else "right")
    for diff in summary.tables:
        change = diff.change.value + (
            " + schema" if diff.schema_changed and diff.change == "modified" else ""
        )
        table.add_row(
            diff.name,
            change,
            f"{diff.rows_added:,}",
            f"{diff.rows_modified:,}",
            f"{diff.rows_deleted:,}",
            f"{diff.old_row_count:,}",
            f"{diff.new_row_count:,}",
        )
    return table


def ddl_block(statements: list[str]) -> Syntax:
    return Syntax(";\n\n".join(statements) + ";", "sql", word_wrap=True)


def sample_rows_table(title: str, changes: list[RowChange]) -> Table:
    table = Table(title=title)
    rows = [c.to_row or c.from_row or {} for c in changes]
    columns = list(rows[0]) if rows else []
    table.add_column("change")
    for column in columns:
        table.add_column(column)
    for change, row in zip(changes, rows, strict=True):
        table.add_row(change.diff_type.value, *(repr(row.get(c)) for c in columns))
    return table


def conflict_preview_text(preview: ConflictPreview) -> Group | Text:
    if preview.clean:
        return Text(f"Merging {preview.branch} into {preview.into}: no conflicts.", style="green")
    lines = [Text(f"Merging {preview.branch} into {preview.into} would conflict:", style="red")]
    for conflict in preview.data_conflicts:
        lines.append(Text(f"  {conflict.table}: {conflict.count} conflicting row(s)"))
        for example in conflict.examples:
            sides = "  ".join(f"{side} {example[side]}" for side in ("base", "ours", "theirs"))
            lines.append(Text(f"    {sides}"))
    for conflict in preview.schema_conflicts:
        lines.append(Text(f"  {conflict.table}: {conflict.description}"))
    for violation in preview.constraint_violations:
        lines.append(Text(f"  {violation.table}: {violation.count} constraint violation(s)"))
    if preview.error:
        lines.append(Text(f"  {preview.error}"))
    return Group(*lines)


def merge_result_text(result: MergeResult, *, branch: str, into: str) -> Text:
    if result.already_up_to_date:
        return Text(f"{into} already contains {branch}.")
    kind = "fast-forward" if result.fast_forward else "merge commit"
    return Text(f"Merged {branch} into {into}: {kind} {result.hash[:12]}.", style="green")
