"""Merging an import branch into main — never adding rows main already holds a second time."""

from __future__ import annotations

from collections.abc import Sequence

from agents.execution.branches import job_id_of
from agents.execution.ledger import records_of_job, records_on
from dolt.errors import MergeConflict
from dolt.interface import Database
from dolt.models import Author, ConflictPreview, MergeResult, RepeatedRows
from dolt.repeated_rows import repeated_rows


def merge_branch(
    database: Database, *, branch: str, message: str, author: Author, into: str = "main"
) -> MergeResult:
    """Dolt's merge, refused first (with the preview, as `MergeConflict`) when a keyless table
    would get rows `into` already added since the branch forked (the same file imported on two
    open branches): Dolt merges those cleanly, doubling them.

    Every Dolt test (`dolt_test_run('*')`: each import's group merged before, the person's,
    this branch's) runs on the merged result before `into` moves; a failure raises
    `TestsFailed` (a `MergeConflict`) naming each failing test and its message, and nothing
    changes. The window between the test and the merge is closed rather than kept small: the
    backend stages the merge (`--no-commit`), tests the staged result and commits it in one
    write transaction (no throw-away branch, no second merge). doltlite holds the file's
    write lock from BEGIN IMMEDIATE to the merge commit, so no other writer can move `into` in
    between. On Dolt sql-server it is one SQL transaction on `db/into`, left to Dolt's
    transaction checks against concurrent writers; Dolt's own commit verification, where the
    operator has switched it on, also tests the merge commit itself."""
    database.branch(name=branch)  # BranchNotFound, as Dolt's merge would say
    repeated = repeated_rows(database, branch=branch, into=into)
    if repeated:
        said = "; ".join(
            repeated_rows_words(database, repeated, job_id=job_id_of(branch), branch=branch)
        )
        raise MergeConflict(
            f"{said}. Discard this import: {into} has those rows already.",
            preview=ConflictPreview(branch=branch, into=into, repeated_rows=repeated),
        )
    return database.merge(branch=branch, message=message, author=author, into=into, tests="*")


def repeated_rows_words(
    database: Database, repeated: Sequence[RepeatedRows], *, job_id: str, branch: str
) -> list[str]:
    """Rows main already holds, with the import that put them there when the ledger says."""
    if not repeated:
        return []
    ours = records_of_job(database, job_id=job_id, ref=branch)
    theirs = [
        record
        for record in records_on(database, sha256s={r.sha256 for r in ours})
        if record.job_id != job_id
    ]
    lines = []
    for rows in repeated:
        line = f"{rows.table}: main already holds {rows.count:,} identical row(s) this branch adds"
        sources = {r.sha256 for r in ours if r.table == rows.table}
        earlier = [r for r in theirs if r.table == rows.table and r.sha256 in sources]
        if earlier:
            first = earlier[-1]
            line += (
                f" — from this source ({first.source}), imported by job {first.job_id} on "
                f"{first.day} (commit {first.commit[:8]})"
            )
        lines.append(line + "; merging would hold them twice")
    return lines
