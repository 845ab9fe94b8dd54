"""The job's side of refining a loaded branch: which revision the next load is, and the
record of each load (`importbot log` lists them)."""

from __future__ import annotations

from agents.artifacts import Review
from agents.execution.revisions import Revising
from workers.job import BranchRevision, Job


def next_revision(job: Job) -> Revising | None:
    """The revision the job's next load makes (None: the first load, from main)."""
    if not job.revisions:
        return None
    return Revising(
        number=job.revisions[-1].number + 1,
        previous=job.revisions[-1].tip,
        change=job.refining or "",
    )


def record_revision(job: Job, review: Review, *, tip: str) -> None:
    """The load that made `review` is the job's newest revision; a change asked for is done."""
    job.revisions.append(
        BranchRevision(
            number=review.revision,
            commit=review.commit,
            tip=tip,
            change=review.change,
            tables={
                t.name: {
                    "added": t.rows_added,
                    "modified": t.rows_modified,
                    "deleted": t.rows_deleted,
                }
                for t in review.tables
            },
            rejected_rows=review.rejected_rows,
        )
    )
    job.refining = None
