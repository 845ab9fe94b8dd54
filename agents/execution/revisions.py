"""A revision of a loaded branch: the whole import again, as one new commit on the same branch.

The branch keeps every earlier revision's commits. A revision starts from the branch's commit
after the previous one, sets each table that the branch changed since it left main (the ledger
too) back to main's base — a table the base does not have is dropped — and then loads the plan
as the first load did. So the branch against main is the newest revision's whole effect, the
revision's own commit against the previous one is what the change changed, and the ledger holds
only this revision's records.
"""

from __future__ import annotations

from dataclasses import dataclass

from dolt.interface import Database, WriteSession
from dolt.models import TableChange


@dataclass(frozen=True)
class Revising:
    """What a revision of a loaded branch starts from."""

    number: int
    """2 for the first change after the first load."""
    previous: str
    """The branch's commit after the previous revision (its ledger commit, when it has one)."""
    change: str
    """The change in words, as the person said it."""


def restore_base(session: WriteSession, *, database: Database, base: str) -> None:
    """On the session's branch (just reset to the previous revision's commit), every table the
    branch changed since `base` back to how `base` has it, uncommitted. (The branch is named,
    not the commit: a doltlite connection opened before a commit was made resolves branch
    names to it, but not its hash.)"""
    restored: list[str] = []
    dropped: list[str] = []
    for diff in database.diff_summary(branch=session.branch, base=base).tables:
        if diff.change == TableChange.ADDED:
            dropped.append(diff.name)
        elif diff.change == TableChange.RENAMED and diff.old_name:
            dropped.append(diff.name)
            restored.append(diff.old_name)
        else:  # modified, or dropped since the base
            restored.append(diff.name)
    session.restore_tables(ref=base, tables=restored, drop=dropped)


def revised_message(message: str, *, revision: int, change: str) -> str:
    """A revision's commit message: its number and the change in words, then the load's."""
    said = " ".join(change.split()) or "the import redone"
    title = f"Revision {revision}: {said}"
    if len(title) > 72:
        title = title[:71] + "…"
    return f"{title}\n\n{message}"
