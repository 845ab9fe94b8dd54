"""The review in words, for every surface (terminal, `--json`, Slack, the App Home, the review
file), in one order: the verdict, the totals across tables, then per table its row changes and
its schema change as a short list ("new table, 3 columns, key id"), never the whole CREATE.

Plain text; each surface escapes and styles it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from sqlglot.errors import SqlglotError

from agents.artifacts import Review, TableReview
from agents.execution.target_columns import TargetColumn, foreign_keys, target_columns

SHOWN_SCHEMA_CHANGES = 4


@dataclass(frozen=True)
class Verdict:
    """Whether the branch may be merged as it is, and why (each reason measured)."""

    ready: bool
    headline: str
    """`Ready to merge` or `Not ready to merge`."""
    reasons: list[str]
    """Ready: what was checked ("6 checks passed", "4 Dolt tests pass", "merges cleanly into
    main"). Not ready: what blocks it, a line each (a failing test, a conflict)."""

    @property
    def sentence(self) -> str:
        return f"{self.headline}: {'; '.join(self.reasons)}" if self.reasons else self.headline


def verdict(review: Review) -> Verdict:
    failing = [t for t in review.tests if not t.passed]
    blocking = [
        f"Dolt test {t.name!r} fails" + (f": {t.message}" if t.message else "") for t in failing
    ]
    blocking += [line for line in review.conflicts if not _says_a_failing_test(line, failing)]
    if blocking:
        return Verdict(ready=False, headline="Not ready to merge", reasons=blocking)
    reasons = []
    if review.checks_passed:
        reasons.append(_count(len(review.checks_passed), "check") + " passed")
    if review.tests:
        tests = len(review.tests)
        reasons.append(f"{_count(tests, 'Dolt test')} {'passes' if tests == 1 else 'pass'}")
    elif review.tests_note:
        reasons.append(review.tests_note)
    reasons.append("merges cleanly into main")
    return Verdict(ready=True, headline="Ready to merge", reasons=reasons)


def _says_a_failing_test(line: str, failing: list) -> bool:
    """A conflict line that only repeats a failing test (the merge gate words it so too)."""
    return any(repr(test.name) in line or f"'{test.name}'" in line for test in failing)


def test_lines(review: Review) -> list[tuple[bool, str]]:
    """The Dolt tests run on the branch: each failing one with its message, then one line per
    group of passing ones (this import's, and each earlier import's that merged into main)."""
    lines = [
        (False, f"{t.name}" + (f" — {t.message}" if t.message else ""))
        for t in review.tests
        if not t.passed
    ]
    groups: dict[str, int] = {}
    for test in review.tests:
        if test.passed:
            groups[test.group] = groups.get(test.group, 0) + 1
    for group, count in sorted(groups.items(), key=lambda item: item[0] != review.branch):
        whose = "this import's" if group == review.branch else f"{group}'s (on main)"
        lines.append(
            (True, f"{whose} {_count(count, 'test')} {'passes' if count == 1 else 'pass'}")
        )
    return lines


def totals(review: Review) -> str:
    """`165 rows added, 3 modified, 0 deleted · 2 rejected · 5 filtered out`."""
    added, modified, deleted = (
        sum(getattr(t, f"rows_{kind}") for t in review.tables)
        for kind in ("added", "modified", "deleted")
    )
    return (
        f"{_count(added, 'row')} added, {modified:,} modified, {deleted:,} deleted · "
        f"{review.rejected_rows:,} rejected · {review.filtered_rows:,} filtered out"
    )


def table_changes(table: TableReview) -> str:
    """`+50 added, 3 modified, 0 deleted (50 → 103 rows)`; a table main does not hold yet:
    `50 rows added`."""
    if not table.rows_before and not table.rows_modified and not table.rows_deleted:
        return f"{_count(table.rows_added, 'row')} added"
    return (
        f"+{table.rows_added:,} added, {table.rows_modified:,} modified, "
        f"{table.rows_deleted:,} deleted ({table.rows_before:,} → {table.rows_after:,} rows)"
    )


def schema_words(table: TableReview) -> str:
    """The schema change as a short list: `new table, 3 columns, key id, references people.id`,
    `column date_of_birth added`, `table dropped`; `schema unchanged` when it did not change."""
    before, after = table.schema_before, table.schema_after
    if not table.schema_change:
        return "schema unchanged"
    if after is None:
        return "table dropped"
    if before is None:
        return _new_table(after)
    return _changed_table(before, after)


def _new_table(create: str) -> str:
    shape = _shape(create)
    if shape is None:
        return "new table"
    columns, references = shape
    key = [c.name for c in columns if c.primary_key]
    words = [
        "new table",
        _count(len(columns), "column"),
        f"key {', '.join(key)}" if key else "no key",
    ]
    if references:
        words.append("references " + ", ".join(sorted(set(references.values()))))
    return ", ".join(words)


def _changed_table(before: str, after: str) -> str:
    old, new = _shape(before), _shape(after)
    if old is None or new is None:
        return "schema changed"
    (old_columns, old_references), (new_columns, new_references) = old, new
    was = {c.name: c for c in old_columns}
    now = {c.name: c for c in new_columns}
    changes = [f"column {name} added ({now[name].mysql_type})" for name in now if name not in was]
    changes += [f"column {name} removed" for name in was if name not in now]
    changes += [
        f"column {name} {was[name].mysql_type} → {now[name].mysql_type}"
        for name in now
        if name in was and was[name].mysql_type != now[name].mysql_type
    ]
    old_key = [c.name for c in old_columns if c.primary_key]
    new_key = [c.name for c in new_columns if c.primary_key]
    if old_key != new_key:
        changes.append(f"key {', '.join(old_key) or 'none'} → {', '.join(new_key) or 'none'}")
    changes += [
        f"{column} now references {target}"
        for column, target in new_references.items()
        if old_references.get(column) != target
    ]
    changes += [
        f"{column} no longer references {target}"
        for column, target in old_references.items()
        if column not in new_references
    ]
    if not changes:
        return "schema changed (constraints or options)"
    shown = changes[:SHOWN_SCHEMA_CHANGES]
    more = len(changes) - len(shown)
    return ", ".join(shown) + (f" and {more} more change(s)" if more else "")


def _shape(create: str) -> tuple[list[TargetColumn], dict[str, str]] | None:
    """The columns and `column → table.column` references of a CREATE statement (None when
    it cannot be read)."""
    try:
        columns, keys = target_columns(create), foreign_keys(create)
    except (SqlglotError, ValueError, AttributeError):
        return None
    references = {
        column: f"{key.parent}.{referenced}"
        for key in keys
        for column, referenced in zip(key.columns, key.parent_columns, strict=True)
    }
    return columns, references


def _count(count: int, thing: str) -> str:
    return f"{count:,} {thing}" + ("" if count == 1 else "s")


def diff_command(job_id: str, table: str) -> str:
    """The terminal command that shows every changed row of `table`."""
    return f"importbot diff {shlex.quote(job_id)} --table {shlex.quote(table)} --all"


def dolt_diff_command(review: Review, table: str) -> str:
    """Dolt's own way to the same diff: `dolt diff` in a Dolt sql-server's database folder, the
    diff table function on doltlite (its files are SQLite, read with doltlite's sqlite3)."""
    if review.engine == "doltlite":
        function = '"dolt_diff_' + table.replace('"', '""') + '"'
        return f"SELECT * FROM {function}('main...{review.branch}')"
    return f"dolt diff main...{shlex.quote(review.branch)} {shlex.quote(table)}"
