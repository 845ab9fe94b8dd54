"""Whether a review shown to a person still holds: main may have moved since, and a merge must
not go ahead on a review that no longer says what merging does.

`review_changes` is pure: the review shown against one computed now, in short sentences
("new conflict (people: 1 conflicting row(s))"; "test 'no_minors' now fails").
`recheck_review` computes the review again when main moved, and says what changed that matters
(nothing when main moved in a way this review does not see: another table, say).
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.artifacts import Review, TableReview
from agents.execution.review import build_review
from dolt.interface import Database


@dataclass(frozen=True)
class OutdatedReview:
    """The review computed now, and what in it differs from the one the person saw."""

    review: Review
    changes: list[str]

    @property
    def in_short(self) -> str:
        """What a replaced review's message says changed: "main moved: new conflict (…)"."""
        return "main moved: " + "; ".join(self.changes)

    @property
    def words(self) -> str:
        return "main moved since the review in a way that changes it: " + "; ".join(self.changes)


def recheck_review(database: Database, *, shown: Review) -> OutdatedReview | None:
    """None when main is where the review saw it, or moved without changing what matters;
    else the new review: what the database says now (the tables' changes, the conflicts, the
    tests), with what the load recorded (rejects, sources, checks, what merging overwrites)
    kept from the one shown."""
    if shown.main_head is not None and database.branch(name="main").head == shown.main_head:
        return None
    fresh = build_review(database, branch=shown.branch)
    now = shown.model_copy(
        update={
            "commit": fresh.commit,
            "main_head": fresh.main_head,
            "tables": [_load_counts_kept(t, shown.tables) for t in fresh.tables],
            "conflicts": fresh.conflicts,
            "tests": fresh.tests or shown.tests,
        }
    )
    changes = review_changes(shown, now)
    return OutdatedReview(review=now, changes=changes) if changes else None


FROM_THE_LOAD = ("rows_filtered", "rows_rejected")
"""A table's counts the load measured (the database does not keep them): kept from the review
shown."""


def _load_counts_kept(table: TableReview, shown: list[TableReview]) -> TableReview:
    before = next((t for t in shown if t.name == table.name), None)
    if before is None:
        return table
    kept = {f: getattr(before, f) for f in FROM_THE_LOAD if f in TableReview.model_fields}
    return table.model_copy(update=kept)


def review_changes(shown: Review, now: Review) -> list[str]:
    """What differs between two reviews of the same branch that a person merging would want to
    know: row counts per table, conflicts, what merging deletes or overwrites, failing tests."""
    return [
        *_table_changes(shown.tables, now.tables),
        *_line_changes(shown.conflicts, now.conflicts, new="new conflict", gone="conflict gone"),
        *_line_changes(shown.destructive, now.destructive, new="new warning", gone="warning gone"),
        *_test_changes(shown, now),
    ]


def _counts(table: TableReview) -> tuple[int, int, int]:
    return table.rows_added, table.rows_modified, table.rows_deleted


def _counts_words(counts: tuple[int, int, int]) -> str:
    added, modified, deleted = counts
    return f"adds {added:,}, changes {modified:,}, deletes {deleted:,}"


def _table_changes(shown: list[TableReview], now: list[TableReview]) -> list[str]:
    before = {t.name: t for t in shown}
    after = {t.name: t for t in now}
    lines = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            lines.append(f"{name}: now changed too ({_counts_words(_counts(new))})")
        elif new is None and old is not None:
            lines.append(f"{name}: no longer changed")
        elif old is not None and new is not None:
            if _counts(old) != _counts(new):
                lines.append(
                    f"{name}: now {_counts_words(_counts(new))} (was {_counts_words(_counts(old))})"
                )
            elif old.schema_after != new.schema_after:
                lines.append(f"{name}: its columns on the branch changed")
    return lines


def _line_changes(shown: list[str], now: list[str], *, new: str, gone: str) -> list[str]:
    return [f"{new} ({line})" for line in now if line not in shown] + [
        f"{gone} ({line})" for line in shown if line not in now
    ]


def _test_changes(shown: Review, now: Review) -> list[str]:
    passed_before = {t.name: t.passed for t in shown.tests}
    lines = []
    for test in now.tests:
        before = passed_before.get(test.name)
        if not test.passed and before is not False:
            lines.append(
                f"test '{test.name}' now fails" + (f" ({test.message})" if test.message else "")
            )
        elif test.passed and before is False:
            lines.append(f"test '{test.name}' now passes")
    return lines
