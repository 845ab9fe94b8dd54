"""Plain-text pieces of the review: schema diffs, sample rows, the full report and rejects CSV.

These are raw text (for code blocks and attached files); the message escapes what it shows.
"""

from __future__ import annotations

import csv
import difflib
import io

from agents import review_words
from agents.artifacts import Reject, Review, SampleRow, TableReview, formula_safe

SAMPLE_VALUE_WIDTH = 60


def schema_diff(table: TableReview) -> str:
    """The CREATE statement of a new table, or a unified diff of the old and new one."""
    if not table.schema_change:
        return ""
    if not table.schema_before:
        return table.schema_after or ""
    if not table.schema_after:
        return f"-- dropped\n{table.schema_before}"
    lines = difflib.unified_diff(
        table.schema_before.splitlines(), table.schema_after.splitlines(), lineterm="", n=2
    )
    return "\n".join(line for line in lines if not line.startswith(("---", "+++")))


def sample_lines(table: TableReview) -> list[str]:
    """`added    id=1, name='Ann'`, `modified id=2, age=34 → 35` (only the changed cells) for
    each sample row (up to 3 of each kind of change); NULL as NULL, long values cut with `…`."""
    return [_sample_line(sample) for sample in table.samples]


def _sample_line(sample: SampleRow) -> str:
    cells = ", ".join(
        f"{column}={_short(sample.before[column])} → {_short(value)}"
        if column in sample.before
        else f"{column}={_short(value)}"
        for column, value in sample.row.items()
    )
    return f"{sample.change:<8} {cells}"


def _short(value: object) -> str:
    if value is None:
        return "NULL"
    text = repr(value) if isinstance(value, str) else str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= SAMPLE_VALUE_WIDTH else text[: SAMPLE_VALUE_WIDTH - 1] + "…"


def table_line(table: TableReview) -> str:
    """One fixed-width line: name, change, +added ~modified -deleted, before → after."""
    change = table.change + (" +schema" if table.schema_change and table.change != "added" else "")
    return (
        f"{table.name[:40]:<24} {change:<16} +{table.rows_added:,} ~{table.rows_modified:,} "
        f"-{table.rows_deleted:,}  {table.rows_before:,} → {table.rows_after:,}"
    )


def reject_line(reject: Reject) -> str:
    where = f"{reject.file}:{reject.line}" if reject.line is not None else reject.file
    column = f" column {reject.column}" if reject.column else ""
    value = f" value {reject.value!r}" if reject.value is not None else ""
    return f"{reject.table}: {where}{column}{value}: {reject.reason}"


def review_report(review: Review) -> str:
    """Everything the review knows, as text for the attached file, in the order every surface
    shows it: the verdict, the totals, then per table; the full schema diffs are here."""
    verdict = review_words.verdict(review)
    out = [f"{verdict.headline}:"]
    out += [f"  {reason}" for reason in verdict.reasons]
    out.append(f"{len(review.tables)} table(s) changed: {review_words.totals(review)}\n")
    out.append(f"Review of branch {review.branch} in database {review.database}")
    out.append(f"commit {review.commit or '(none)'}\n")
    if review.destructive:
        out.append("merging deletes or overwrites rows on main:")
        out += [f"  ! {line}" for line in review.destructive]
        out.append("")
    for table in review.tables:
        out.append(table_line(table))
        out.append(f"  {review_words.schema_words(table)}")
        if diff := schema_diff(table):
            out.append("  schema:\n" + _indent(diff, "    "))
        if samples := sample_lines(table):
            out.append("  sample rows:\n" + _indent("\n".join(samples), "    "))
    if review.sources:
        out.append("\nsources:")
        out += [f"  {s.source}  {s.shown_size}  sha256:{s.sha256}" for s in review.sources]
    out.append("\nchecks passed:")
    out += [f"  ✓ {check}" for check in review.checks_passed] or ["  (none)"]
    if review.tests:
        out.append("\nDolt tests:")
        out += [
            f"  {'✓' if t.passed else '✗'} {t.name}" + ("" if t.passed else f": {t.message}")
            for t in review.tests
        ]
    out.append(f"\nrejected rows: {review.rejected_rows:,}")
    out += [f"  {reject_line(r)}" for r in review.rejects]
    out.append("\nwhat blocks the merge into main:" if review.conflicts else "\nmerge into main:")
    out += [f"  {line}" for line in review.conflicts] or ["  merges cleanly"]
    return "\n".join(out) + "\n"


def rejects_csv(rejects: list[Reject]) -> str:
    """The rejected rows as CSV; cells a spreadsheet would run as formulas get a leading `'`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "file", "line", "column", "value", "reason"])
    for r in rejects:
        row = [r.table, r.file, "" if r.line is None else r.line, r.column, r.value, r.reason]
        writer.writerow([formula_safe(cell) for cell in row])
    return buffer.getvalue()


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
