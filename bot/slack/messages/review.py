"""Stage 7: the review of the import branch — the sources read (with their sha256), per-table
changes, schema diffs, sample rows, rejected rows, checks, the merge preview, and Merge into
main / Discard.

Too many tables (or too long diffs, or more sources than fit) show one line per table and
attach `review-<job>.txt`, which names every source with its full sha256;
more rejects than shown attach `rejects-<job>.csv`. With the file go the changed rows of each
table (up to MAX_DIFF_FILES tables) as `diff-<job>-<table>.csv`, each with the command that
shows the same diff in a terminal.
"""

from __future__ import annotations

import shlex

from agents.artifacts import Review, TableReview
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import DISCARD, MERGE, ButtonRef
from bot.slack.messages.limits import fits_inline
from bot.slack.messages.message import Message, OutgoingFile, finish, inline_or_attached
from bot.slack.messages.mrkdwn import code_block, escape, inline_code, join_limited, safe_filename
from bot.slack.messages.review_file import (
    reject_line,
    rejects_csv,
    review_report,
    sample_lines,
    schema_diff,
    table_line,
)
from workers.stage_table import stage_row

MAX_INLINE_TABLES = 8
MAX_DIFF_FILES = 10  # CSV files of changed rows attached, one per table
SHOWN_REJECTS = 5
TABLES_BUDGET = 6000  # characters of per-table detail before the review goes in a file
PART_LIMIT = 1000  # checks, rejects and conflicts each
_UNCUT = 10**9


def render_review(review: Review, *, ref: ButtonRef, can_merge: bool = True) -> Message:
    """What the branch changed and what merging it would do; Merge only for mergers, when clean."""
    totals = _totals(review.tables)
    commit = f" · commit {inline_code(review.commit[:12])}" if review.commit else ""
    blocks: list[dict] = [
        b.header(f"Review: {review.branch}"),
        b.section(
            f"Branch {inline_code(review.branch)} in database {inline_code(review.database)}"
            f"{commit}\n*{len(review.tables)} table(s) changed*: {totals}."
        ),
    ]
    if review.sources:
        blocks.append(b.section(_sources(review, PART_LIMIT)))
    texts = [_table_text(table) for table in review.tables]
    pieces = (_destructive, _checks, _rejects, _conflicts)
    parts = [piece(review, PART_LIMIT) for piece in pieces]
    cut = [len(piece(review, _UNCUT)) > PART_LIMIT for piece in pieces]
    every_source_shown = len(_sources(review, _UNCUT)) <= PART_LIMIT
    tables, files = inline_or_attached(
        texts,
        fits=fits_inline(texts, MAX_INLINE_TABLES, TABLES_BUDGET)
        and not any(cut)
        and every_source_shown,
        summary=_table_lines(review.tables),
        what=stage_row(ref.stage).words,
        filename=safe_filename(ref.stage, ref.job_id, "txt"),
        content=lambda: review_report(review),
        title=f"Review of {review.branch}",
    )
    blocks += tables
    if files and (diff_files := _diff_files(review, ref.job_id)):
        blocks.append(b.section(_diff_files_text(review, diff_files)))
        files += [file for file, _ in diff_files]
    if review.rejects and (len(review.rejects) > SHOWN_REJECTS or cut[2]):
        name = safe_filename("rejects", ref.job_id, "csv")
        parts[2] += f"\nThe full list is attached as a file: {inline_code(name)}"
        files.append(OutgoingFile(name, rejects_csv(review.rejects), "Rejected rows"))
    blocks += [b.section(part) for part in parts if part]
    blocks += _buttons(review, ref=ref, can_merge=can_merge)
    text = f"Review of {review.branch}: {totals} in {len(review.tables)} table(s)"
    return finish(text, blocks, files)


def _totals(tables: list[TableReview]) -> str:
    """`7 rows added, 3 modified, 0 deleted` across the tables."""
    added, modified, deleted = (
        sum(getattr(t, f"rows_{kind}") for t in tables) for kind in ("added", "modified", "deleted")
    )
    return f"{added:,} row(s) added, {modified:,} modified, {deleted:,} deleted"


def _diff_files(review: Review, job_id: str) -> list[tuple[OutgoingFile, TableReview]]:
    """One CSV per changed table: its changed rows (the first DIFF_FILE_ROWS)."""
    return [
        (
            OutgoingFile(
                safe_filename("diff", f"{job_id}-{t.name}", "csv"),
                t.diff_csv,
                f"Changed rows of {t.name}",
            ),
            t,
        )
        for t in [t for t in review.tables if t.diff_csv][:MAX_DIFF_FILES]
    ]


def _diff_files_text(review: Review, files: list[tuple[OutgoingFile, TableReview]]) -> str:
    lines = [
        f"• {inline_code(file.filename)}: {_rows_in_file(table)} · same diff: "
        f"{inline_code(diff_command(review.job_id, table.name))}"
        for file, table in files
    ]
    more = sum(1 for t in review.tables if t.diff_csv) - len(files)
    if more:
        lines.append(
            f"… {more} more table(s) changed rows: "
            f"{inline_code(f'importbot diff {shlex.quote(review.job_id)} --csv DIR')} "
            "writes a CSV per table"
        )
    head = "*The changed rows of each table are attached as CSV* (a `change` column first):"
    return head + "\n" + join_limited(lines, PART_LIMIT * 2, sep="\n")


def _rows_in_file(table: TableReview) -> str:
    if table.diff_csv_rows < table.rows_changed:
        return f"the first {table.diff_csv_rows:,} of {table.rows_changed:,} changed rows"
    return f"{table.rows_changed:,} changed row(s)"


def diff_command(job_id: str, table: str) -> str:
    """The terminal command that shows every changed row of `table`."""
    return f"importbot diff {shlex.quote(job_id)} --table {shlex.quote(table)} --all"


def _table_text(table: TableReview) -> str:
    change = table.change + (" (schema changed)" if table.schema_change else "")
    text = (
        f"*{escape(table.name)}* — {escape(change)}: +{table.rows_added:,} added, "
        f"{table.rows_modified:,} modified, {table.rows_deleted:,} deleted · "
        f"rows {table.rows_before:,} → {table.rows_after:,}"
    )
    if diff := schema_diff(table):
        text += f"\nSchema:\n{code_block(diff, limit=10**9)}"
    if samples := sample_lines(table):  # up to 3 of each change
        text += f"\nSample rows:\n{code_block(chr(10).join(samples), limit=10**9)}"
    return text


def _table_lines(tables: list[TableReview]) -> str:
    lines = join_limited((table_line(t) for t in tables), 2600, sep="\n")
    return f"*Changes, compared with main:*\n{code_block(lines, 2900)}"


def _sources(review: Review, limit: int) -> str:
    """One line per source the import read: its name, size and sha256 (12 digits)."""
    lines = (
        f"• {inline_code(s.source, 120)} · {s.shown_size} · sha256 {inline_code(s.short_sha256)}"
        for s in review.sources
    )
    return "*Sources:*\n" + join_limited(lines, limit - 20, sep="\n")


def _destructive(review: Review, limit: int) -> str:
    if not review.destructive:
        return ""
    lines = (f"• {escape(line)}" for line in review.destructive)
    head = ":warning: *Merging deletes or overwrites rows on main:*"
    return f"{head}\n" + join_limited(lines, limit - len(head) - 1, sep="\n")


def _checks(review: Review, limit: int) -> str:
    if not review.checks_passed:
        return ""
    checks = (f"✓ {escape(check)}" for check in review.checks_passed)
    return "*Checks passed:*\n" + join_limited(checks, limit - 20, sep="\n")


def _rejects(review: Review, limit: int) -> str:
    if not review.rejected_rows and not review.rejects:
        return "No rows were rejected."
    shown = (f"• {escape(reject_line(r))}" for r in review.rejects[:SHOWN_REJECTS])
    head = f"*{review.rejected_rows:,} row(s) rejected* (not written):"
    return "\n".join([head, join_limited(shown, limit - len(head) - 1, sep="\n")]).rstrip()


def _conflicts(review: Review, limit: int) -> str:
    if not review.conflicts:
        return ":white_check_mark: Merges cleanly into `main`."
    lines = (f"• {escape(line)}" for line in review.conflicts)
    return ":warning: *Merging into main would conflict:*\n" + join_limited(lines, limit - 50, "\n")


def _buttons(review: Review, *, ref: ButtonRef, can_merge: bool) -> list[dict]:
    discard = b.button(
        "Discard",
        DISCARD,
        ref,
        style="danger",
        confirm_dialog=b.confirm(
            "Discard this import?",
            f"Deletes branch {inline_code(review.branch)}; `main` never sees it.",
            yes="Discard",
        ),
    )
    notes = []
    if not can_merge:
        notes.append(b.context("Only people allowed to merge can merge this import."))
    elif review.conflicts:
        notes.append(b.context("Merge is not offered while merging would conflict."))
    else:
        merge = b.button(
            "Merge into main",
            MERGE,
            ref,
            style="primary",
            confirm_dialog=b.confirm(
                "Merge into main?",
                f"Merge {inline_code(review.branch)} into `main` of "
                f"{inline_code(review.database)}.",
                yes="Merge",
            ),
        )
        return [b.actions("review_actions", merge, discard)]
    return [*notes, b.actions("review_actions", discard)]
