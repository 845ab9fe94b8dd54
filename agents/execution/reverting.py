"""Undoing a merged import: a branch from main's head on which the import's merge commit is
reverted (Dolt undoes a merge against its first parent, main as it was), reviewed like any
import before main changes. The revert undoes the whole merge, the ledger's records with the
rows, so the import's sources no longer count as already imported once it is merged."""

from __future__ import annotations

import contextlib

from agents.artifacts import Review
from agents.errors import RevertRefused
from agents.execution.branches import branch_name
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.review import build_review
from dolt.errors import BranchNotFound, MergeConflict
from dolt.interface import Database
from dolt.models import Author, ConflictPreview, TableChange


def revert_merge(
    database: Database,
    *,
    job_id: str,
    reverted_job: str,
    merge_commit: str,
    author: Author,
    into: str = "main",
) -> Review:
    """`import/<job_id>` made anew from `into`'s head with a commit reverting `merge_commit`,
    and its review against `into`. Refused (`RevertRefused`, the branch removed, `into`
    untouched) when `into` no longer holds the merge or changed the rows it brought since."""
    if database.merge_base(branch=merge_commit, other=into) != merge_commit:
        raise RevertRefused(
            f"{into} no longer holds the merge of import {reverted_job} "
            f"(commit {merge_commit[:12]}); nothing to revert."
        )
    branch = branch_name(job_id)
    with contextlib.suppress(BranchNotFound):  # a redelivered step starts the branch again
        database.delete_branch(name=branch)
    database.create_branch(name=branch, start=into)
    try:
        database.revert(commit=merge_commit, author=author, branch=branch)
    except MergeConflict as conflict:
        database.delete_branch(name=branch)
        changed = ", ".join(_changed_since(database, merge_commit, into=into)) or "rows"
        raise RevertRefused(
            f"Import {reverted_job} cannot be reverted: {into} changed {changed} since it was "
            f"merged, and undoing the merge would overwrite that "
            f"({conflict_words(conflict.preview)}). Nothing was changed on {into}."
        ) from conflict
    review = build_review(database, branch=branch)
    return review.model_copy(update={"destructive": undone_lines(review, reverted_job)})


def undone_lines(review: Review, reverted_job: str) -> list[str]:
    """What merging the revert takes from main, per table, named before anyone merges it."""
    lines = []
    for table in review.tables:
        undone = []
        if table.rows_deleted:
            undone.append(f"deletes the {_rows(table.rows_deleted)} it added")
        if table.rows_modified:
            undone.append(f"restores the {_rows(table.rows_modified)} it changed")
        if table.rows_added:
            undone.append(f"puts back the {_rows(table.rows_added)} it removed")
        if table.change == TableChange.DROPPED:
            undone.append("drops the table it created")
        elif table.change == TableChange.ADDED:
            undone.append("creates again the table it dropped")
        if undone:
            lines.append(
                f"{table.name}: revert of import {reverted_job} — merging {', '.join(undone)}"
            )
    return lines


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _changed_since(database: Database, commit: str, *, into: str) -> list[str]:
    """The tables people see that `into` changed after `commit` (an ancestor of it)."""
    summary = database.diff_summary(branch=into, base=commit)
    return [table.name for table in summary.tables if table.name != LEDGER_TABLE]


def conflict_words(preview: ConflictPreview) -> str:
    """What the revert ran into, in one phrase ("people: 1 conflicting row(s)")."""
    said = [f"{c.table}: {c.count} conflicting row(s)" for c in preview.data_conflicts]
    said += [f"{c.table}: {c.description}" for c in preview.schema_conflicts]
    said += [f"{v.table}: {v.count} constraint violation(s)" for v in preview.constraint_violations]
    return "; ".join(said) or preview.error or "a conflict"
