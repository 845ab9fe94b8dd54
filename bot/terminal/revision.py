"""A revision of a loaded branch in the terminal: what it changed since the previous one."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from agents.artifacts import Review, TableReview
from bot.terminal.samples import sample_tables
from workers.job import BranchRevision


def since_previous_group(review: Review) -> Group | None:
    """ "Revision 2: only rows where age >= 21", then "Since revision 1:" and a table of what
    changed per table, with its sample rows; None for a first load."""
    if review.revision <= 1:
        return None
    said = f": {review.change}" if review.change else ""
    title = Text(f"Revision {review.revision}{said}", style="bold")
    previous = review.revision - 1
    if not review.since_previous:
        return Group(title, Text(f"Since revision {previous}: no table changed."))
    return Group(
        title,
        changes_table(review.since_previous, title=f"Since revision {previous}:"),
        *sample_tables(review.since_previous),
    )


def changes_table(tables: list[TableReview], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("table", "change", "added", "modified", "deleted", "rows before", "rows after"):
        table.add_column(column, justify="left" if column in ("table", "change") else "right")
    for t in tables:
        change = t.change + (" + schema" if t.schema_change and t.change == "modified" else "")
        table.add_row(
            t.name,
            change,
            f"{t.rows_added:,}",
            f"{t.rows_modified:,}",
            f"{t.rows_deleted:,}",
            f"{t.rows_before:,}",
            f"{t.rows_after:,}",
        )
    return table


def log_rows(revisions: list[BranchRevision]) -> list[dict]:
    """`importbot log --json`: one object per revision, oldest first."""
    return [
        {
            "revision": r.number,
            "commit": r.commit,
            "tip": r.tip,
            "at": r.at.isoformat(timespec="seconds"),
            "change": r.change,
            "tables": r.tables,
            "rejected_rows": r.rejected_rows,
        }
        for r in revisions
    ]


def log_lines(job_id: str, branch: str | None, revisions: list[BranchRevision]) -> Group:
    """`importbot log`: per revision its number, commit, date and change in words, then the
    rows it changed against main (a line each, so nothing wraps into a cell)."""
    lines = [Text(f"Revisions of {branch or job_id}, oldest first", style="bold")]
    for r in revisions:
        when = r.at.strftime("%Y-%m-%d %H:%M")
        lines.append(
            Text(f"{r.number:>3}  {(r.commit or '')[:12]}  {when}  {r.change or '(first load)'}")
        )
        lines.append(Text(f"     {_counts(r)}", style="dim"))
    return Group(*lines)


def _counts(revision: BranchRevision) -> str:
    marks = (("added", "+"), ("modified", "~"), ("deleted", "-"))
    parts = [
        f"{name} " + " ".join(f"{mark}{c[kind]:,}" for kind, mark in marks if c.get(kind))
        for name, c in revision.tables.items()
    ]
    if revision.rejected_rows:
        parts.append(f"{revision.rejected_rows:,} rejected")
    return ", ".join(parts)
