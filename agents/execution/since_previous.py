"""What a revision of a loaded branch changed since the previous one: a two-dot diff from the
previous revision's commit to the branch (the previous commit is the branch's ancestor, so the
three-dot diff the database offers is that two-dot one)."""

from __future__ import annotations

from agents.artifacts import Review, TableReview
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.review import table_review
from agents.execution.revisions import Revising
from dolt.interface import Database


def since_previous(
    review: Review, *, database: Database, revision: Revising, samples: int = 3
) -> Review:
    """`review` of the branch's newest revision, with what it changed since `revision.previous`."""
    return review.model_copy(
        update={
            "revision": revision.number,
            "change": revision.change,
            "previous_commit": revision.previous,
            "since_previous": changed_since(
                database, branch=review.branch, previous=revision.previous, samples=samples
            ),
        }
    )


def changed_since(
    database: Database, *, branch: str, previous: str, samples: int = 3
) -> list[TableReview]:
    """Per table, what `branch` changed since its commit `previous` (the ledger left out)."""
    tables = []
    for diff in database.diff_summary(branch=branch, base=previous).tables:
        if diff.name == LEDGER_TABLE:
            continue
        tables.append(table_review(database, diff, branch=branch, base=previous, samples=samples))
    return tables
