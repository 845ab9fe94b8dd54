"""Stage 7: the review of the import branch, in two messages.

The review itself fits on one screen: the verdict (checks, Dolt tests, conflicts, who may
merge), the totals, Merge into main / Discard, what merging overwrites or deletes on main, a
line per table (its schema change as a short list and its row counts) and a few rows of main
before → after. The reply under it holds the rest: the sources read (with their sha256), per
table its sample rows, the checks and tests, the rejects, the conflicts, and the changed rows
of each table (up to MAX_DIFF_FILES tables) as `diff-<job>-<table>.csv` with the commands that
show the same diff. Too much for the reply goes in `review-<job>.txt` (every source with its
full sha256 and every table's schema diff); more rejects than shown in `rejects-<job>.csv`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from agents import review_words
from agents.artifacts import Review, TableReview
from agents.merge_impact import CONFIRM_TEXT_LIMIT, merge_impact
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
    table_line,
)
from bot.slack.messages.revision import change_button, since_previous_text
from workers.stage_table import stage_row

MAX_INLINE_TABLES = 8
MAX_DIFF_FILES = 10  # CSV files of changed rows attached, one per table
SHOWN_REJECTS = 5
TABLES_BUDGET = 6000  # characters of per-table detail before the review goes in a file
PART_LIMIT = 1000  # checks, rejects and conflicts each
SHOWN_BLOCKING = 3  # reasons not to merge on the first screen
SHOWN_CHANGED_ROWS = 6  # rows of main before → after on the first screen
SHOWN_DIFF_COMMANDS = 3  # tables whose diff commands are written out
_UNCUT = 10**9
_SLACK_ID = re.compile(r"[UWS][A-Z0-9_]{2,30}")


def render_review(
    review: Review,
    *,
    ref: ButtonRef,
    can_merge: bool = True,
    mergers: Sequence[str] = (),
    or_importers: bool = False,
    can_change: bool = True,
) -> Message:
    """The review's first screen: the verdict, the totals, Merge / Discard, what merging
    overwrites or deletes on main, a line per table and a few rows before → after. The rest
    (sources, every sample, checks, tests, rejects, the changed rows as CSV) is the reply
    `render_review_details` makes. `mergers`: the user and user-group ids who may merge
    (`or_importers`: and the importers). `can_change`: offer "Change…" (a new revision of what
    was loaded; not for a revert)."""
    blocks: list[dict] = [
        b.header(f"Review: {review.branch}"),
        b.section(_verdict(review, _who_may_merge(mergers, or_importers))),
        b.section(
            f"*{_count(len(review.tables), 'table')} changed:* "
            + escape(review_words.totals(review))
        ),
        *_buttons(review, ref=ref, can_merge=can_merge, can_change=can_change),
    ]
    if destructive := _destructive(review, PART_LIMIT):
        blocks.append(b.section(destructive))
    blocks.append(b.section(_tables_at_a_glance(review.tables)))
    if revised := since_previous_text(review):
        blocks.append(b.section(revised))
    if changed := _changed_rows_on_main(review.tables):
        blocks.append(b.section(changed))
    commit = f" · commit {inline_code(review.commit[:12])}" if review.commit else ""
    blocks.append(
        b.context(
            f"Branch {inline_code(review.branch)} in {inline_code(review.database)}{commit} · "
            f"{_count(len(review.sources), 'source')} · sample rows, checks and the changed "
            "rows as CSV in the reply below"
        )
    )
    text = (
        f"Review of {review.branch}: {review_words.verdict(review).headline.lower()}; "
        f"{review_words.totals(review)}"
    )
    return finish(text, blocks)


def render_review_details(review: Review, *, ref: ButtonRef) -> Message:
    """The reply under the review: the sources, per table its schema change and sample rows,
    the checks and Dolt tests, the rejects, the conflicts, and the changed rows of each table
    as CSV with the commands that show the same diff. Too much for a message goes in
    `review-<job>.txt`."""
    blocks: list[dict] = [b.section(f"*Details of the review of {inline_code(review.branch)}*")]
    if review.sources:
        blocks.append(b.section(_sources(review, PART_LIMIT)))
    texts = [_table_text(table) for table in _riskiest_first(review.tables)]
    pieces = (_checks, _tests, _rejects, _conflict_details)
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
    if review.rejects and (len(review.rejects) > SHOWN_REJECTS or cut[2]):
        name = safe_filename("rejects", ref.job_id, "csv")
        parts[2] += f"\nThe full list is attached as a file: {inline_code(name)}"
        files.append(OutgoingFile(name, rejects_csv(review.rejects), "Rejected rows"))
    blocks += [b.section(part) for part in parts if part]
    if diff_files := _diff_files(review, ref.job_id):
        blocks.append(b.section(_diff_files_text(review, diff_files)))
        files += [file for file, _ in diff_files]
    text = f"Details of the review of {review.branch}"
    return finish(text, blocks, files)


def _verdict(review: Review, mergers: str | None) -> str:
    verdict = review_words.verdict(review)
    if verdict.ready:
        text = f":white_check_mark: *{verdict.headline}* — " + escape(" · ".join(verdict.reasons))
    else:
        shown = [f"• {escape(reason)}" for reason in verdict.reasons[:SHOWN_BLOCKING]]
        more = len(verdict.reasons) - len(shown)
        if more:
            shown.append(f"• … and {more} more, in the reply below")
        text = f":no_entry: *{verdict.headline}:*\n" + join_limited(shown, PART_LIMIT, sep="\n")
    if mergers:
        text += f"\nWho may merge: {mergers}"
    return text


def _who_may_merge(ids: Sequence[str], or_importers: bool) -> str | None:
    """`<@U1>, <!subteam^S1>` (ids that are not Slack ids are left out), `or an importer`."""
    mentions = [
        f"<!subteam^{id}>" if id.startswith("S") else f"<@{id}>"
        for id in ids
        if _SLACK_ID.fullmatch(id)
    ]
    if not mentions:
        return None
    return ", ".join(mentions) + (" or an importer" if or_importers else "")


def _tables_at_a_glance(tables: list[TableReview]) -> str:
    """A line per table, those that change rows main holds first: its schema change in a
    short list and its row counts; past MAX_INLINE_TABLES, how many more."""
    shown = _riskiest_first(tables)[:MAX_INLINE_TABLES]
    lines = [
        f"• *{escape(t.name)}* — {escape(review_words.schema_words(t))} · "
        f"{escape(review_words.table_changes(t))}"
        for t in shown
    ]
    if len(tables) > len(shown):
        lines.append(
            f"• … and {_count(len(tables) - len(shown), 'more table')}, in the reply below"
        )
    return join_limited(lines, PART_LIMIT * 2, sep="\n")


def _riskiest_first(tables: list[TableReview]) -> list[TableReview]:
    """Tables whose rows on main change (modified, deleted) first, then as the diff lists them."""
    return sorted(tables, key=lambda t: -(t.rows_modified + t.rows_deleted))


def _changed_rows_on_main(tables: list[TableReview]) -> str:
    """A few rows main holds that merging changes: before → after, or deleted."""
    lines = [
        f"{t.name}: {line}"
        for t in _riskiest_first(tables)
        for sample, line in zip(t.samples, sample_lines(t), strict=True)
        if sample.change != "added"
    ][:SHOWN_CHANGED_ROWS]
    if not lines:
        return ""
    head = "*Rows of main that change* (before → after, only the changed cells):"
    return f"{head}\n{code_block(chr(10).join(lines), limit=PART_LIMIT)}"


def _count(count: int, thing: str) -> str:
    return f"{count:,} {thing}" + ("" if count == 1 else "s")


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
        for t in [t for t in _riskiest_first(review.tables) if t.diff_csv][:MAX_DIFF_FILES]
    ]


def _diff_files_text(review: Review, files: list[tuple[OutgoingFile, TableReview]]) -> str:
    """Each attached file with its rows; the commands per table for a few tables, else once
    with `<table>` in them; and the command that writes every table's CSV."""
    job = shlex.quote(review.job_id)
    lines = [f"• {inline_code(file.filename)}: {_rows_in_file(table)}" for file, table in files]
    if len(files) <= SHOWN_DIFF_COMMANDS:
        lines = [
            f"{line}\n      {inline_code(review_words.diff_command(review.job_id, table.name))}"
            f" · in Dolt: {inline_code(review_words.dolt_diff_command(review, table.name))}"
            for line, (_, table) in zip(lines, files, strict=True)
        ]
    else:
        any_table = inline_code(f"importbot diff {job} --table TABLE --all")
        in_dolt = inline_code(review_words.dolt_diff_command(review, "TABLE"))
        lines.append(f"The same diff of a table: {any_table} · in Dolt: {in_dolt}")
    more = sum(1 for t in review.tables if t.diff_csv) - len(files)
    every = inline_code(f"importbot diff {job} --csv DIR")
    head = f"*The changed rows of each table, as CSV* (a `change` column first; {every} writes " + (
        f"them all, {more} more table(s) too):" if more else "them all):"
    )
    return head + "\n" + join_limited(lines, PART_LIMIT * 2, sep="\n")


def _rows_in_file(table: TableReview) -> str:
    if table.diff_csv_rows < table.rows_changed:
        return f"the first {table.diff_csv_rows:,} of {table.rows_changed:,} changed rows"
    return f"{table.rows_changed:,} changed row(s)"


def _table_text(table: TableReview) -> str:
    text = (
        f"*{escape(table.name)}* — {escape(review_words.schema_words(table))} · "
        f"{escape(review_words.table_changes(table))}"
    )
    extra = [
        f"{count:,} {what}"
        for count, what in (
            (table.rows_rejected, "rejected"),
            (table.rows_filtered, "filtered out"),
        )
        if count
    ]
    if extra:
        text += " · " + ", ".join(extra)
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


def _tests(review: Review, limit: int) -> str:
    if not review.tests:
        return ""
    failing = sum(1 for t in review.tests if not t.passed)
    lines = (
        f"{'✓' if passed else '✗'} {escape(line)}"
        for passed, line in review_words.test_lines(review)
    )
    head = f"*Dolt tests* ({len(review.tests) - failing} pass, {failing} fail):"
    return head + "\n" + join_limited(lines, limit - len(head) - 1, sep="\n")


def _rejects(review: Review, limit: int) -> str:
    if not review.rejected_rows and not review.rejects:
        return "No rows were rejected."
    shown = (f"• {escape(reject_line(r))}" for r in review.rejects[:SHOWN_REJECTS])
    head = f"*{review.rejected_rows:,} row(s) rejected* (not written):"
    return "\n".join([head, join_limited(shown, limit - len(head) - 1, sep="\n")]).rstrip()


def _conflict_details(review: Review, limit: int) -> str:
    if not review.conflicts:
        return ""
    lines = (f"• {escape(line)}" for line in review.conflicts)
    return ":warning: *What blocks the merge into main:*\n" + join_limited(lines, limit - 50, "\n")


def _buttons(review: Review, *, ref: ButtonRef, can_merge: bool, can_change: bool) -> list[dict]:
    change = [change_button(ref)] if can_change else []
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
        accessibility_label=b.discard_label(ref.job_id),
    )
    notes = []
    if not can_merge:
        notes.append(b.context("Only people allowed to merge can merge this import."))
    elif not review_words.verdict(review).ready:
        notes.append(b.context("Merge is not offered until what blocks it is resolved."))
    else:
        branch, database = inline_code(review.branch, 80), inline_code(review.database, 60)
        where = f" ({branch} into `main` of {database})."
        impact = merge_impact(review, limit=CONFIRM_TEXT_LIMIT - len(where), name=escape)
        merge = b.button(
            "Merge into main",
            MERGE,
            ref,
            style="primary",
            confirm_dialog=b.confirm("Merge into main?", impact + where, yes="Merge"),
            accessibility_label=b.merge_label(ref.job_id, review.database),
        )
        return [b.actions("review_actions", merge, *change, discard)]
    return [*notes, b.actions("review_actions", *change, discard)]
