"""Pure renderers from Dolt-layer results to rich renderables for the terminal."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from agents import review_words
from agents.artifacts import (
    ImportPlan,
    ImportRequest,
    Question,
    Review,
    SchemaProposal,
    SkippedSource,
    SourceSnapshot,
    files_words,
    skipped_words,
)
from bot.terminal.revision import since_previous_group
from bot.terminal.samples import sample_tables
from dolt.models import BranchInfo
from workers.job import Job
from workers.stuck import Stuck

SHOWN_SOURCES = 20
SHOWN_DIFF_COMMANDS = 10


def branches_table(branches: list[BranchInfo], *, title: str = "Branches") -> Table:
    table = Table(title=title)
    for column in ("branch", "head", "author", "date", "message"):
        table.add_column(column)
    for info in branches:
        table.add_row(info.name, info.head[:12], info.author, info.date, info.message)
    return table


def sql_text(code: str) -> Text:
    """SQL, highlighted, as text: rich's Syntax pads every line to the width, so a copied
    statement would carry trailing spaces."""
    text = Syntax(code, "sql", background_color="default").highlight(code)
    text.rstrip()
    return text


def ddl_block(statements: list[str]) -> Text:
    return sql_text(";\n\n".join(statements) + ";")


def request_text(request: ImportRequest) -> Text:
    text = Text(f"This is my understanding: {request.summary}")
    for check in request.checks:
        text.append(f"\ncheck: {check}", style="cyan")
    for note in request.notes:
        text.append(f"\nnote: {note}", style="yellow")
    return text


def files_read_text(snapshots: list[SourceSnapshot]) -> Text | None:
    """`From 4 files: a.csv, b.csv, …`: what the inspection read, once the sources are known."""
    words = files_words(snapshots)
    return None if words is None else Text(f"From {words}")


def skipped_text(skipped: list[SkippedSource]) -> Text | None:
    """`Skipped 2 files: notes.md (not a data file), …`: what a folder held that is not read."""
    words = skipped_words(skipped)
    return None if words is None else Text(words, style="yellow")


def schema_block(proposal: SchemaProposal) -> Group:
    parts: list = []
    for table in proposal.tables:
        if table.ddl:
            parts.append(Text(f"{table.name} ({table.action}, from {', '.join(table.relations)}):"))
            parts.append(ddl_block(table.ddl))
        else:
            parts.append(Text(f"{table.name}: existing table, from {', '.join(table.relations)}"))
    return Group(*parts)


def plan_table(plan: ImportPlan) -> Group:
    table = Table(title="Plan")
    unreadable = any(step.unreadable_rows for step in plan.steps)
    columns = ["table", "mode", "source rows", "rows to load", "filtered out"]
    for column in columns + (["unreadable (rejected)"] if unreadable else []):
        table.add_column(column, justify="left" if column in ("table", "mode") else "right")
    for step in plan.steps:
        filtered = step.source_rows - step.unreadable_rows - step.expected_rows
        cells = [step.table, str(step.mode), f"{step.source_rows:,}", f"{step.expected_rows:,}"]
        cells.append(f"{filtered:,}")
        table.add_row(*cells, *([f"{step.unreadable_rows:,}"] if unreadable else []))
    selects = [sql_text(f"-- {s.table}\n{s.select};") for s in plan.steps]
    checks = [Text(f"check: every row satisfies {c}") for c in plan.checks]
    return Group(table, *selects, *checks)


def review_group(review: Review) -> Group:
    """The review in the order every surface shows it: the verdict, the totals, a line per
    table (its schema change in short, its row counts), the rows of main that change, then
    the details (sources, sample rows, checks, tests, rejects, conflicts)."""
    verdict = review_words.verdict(review)
    parts: list = [
        Text(
            f"{'✓' if verdict.ready else '✗'} {verdict.headline}",
            style="bold green" if verdict.ready else "bold red",
        )
    ]
    parts += [
        Text(f"  {reason}", style="" if verdict.ready else "red") for reason in verdict.reasons
    ]
    parts.append(Text(f"{len(review.tables)} table(s) changed: {review_words.totals(review)}"))
    parts.append(Text(f"Branch {review.branch} in database {review.database}", style="bold"))
    if review.destructive:
        parts.append(Text("Merging deletes or overwrites rows on main:", style="yellow"))
        parts.extend(Text(f"  ⚠ {line}", style="yellow") for line in review.destructive)
    table = Table(title="Changes, compared with main")
    for column in (
        "table",
        "schema change",
        "added",
        "modified",
        "deleted",
        "rows before",
        "rows after",
    ):
        table.add_column(
            column, justify="left" if column in ("table", "schema change") else "right"
        )
    for t in review.tables:
        table.add_row(
            t.name,
            review_words.schema_words(t),
            f"{t.rows_added:,}",
            f"{t.rows_modified:,}",
            f"{t.rows_deleted:,}",
            f"{t.rows_before:,}",
            f"{t.rows_after:,}",
        )
    parts.append(table)
    parts += sample_tables(review.tables)
    if (since := since_previous_group(review)) is not None:  # a revision of the branch
        parts.append(since)
    changed = [t for t in review.tables if t.rows_changed][:SHOWN_DIFF_COMMANDS]
    if changed:
        parts.append(Text("Every changed row (before → after), here or in Dolt:"))
    for t in changed:
        parts.append(
            Text(
                f"  {review_words.diff_command(review.job_id, t.name)}   "
                f"{review_words.dolt_diff_command(review, t.name)}"
            )
        )
    parts += [
        Text(f"source {s.source} · {s.shown_size} · sha256 {s.short_sha256}")
        for s in review.sources[:SHOWN_SOURCES]
    ]
    if len(review.sources) > SHOWN_SOURCES:
        parts.append(Text(f"… and {len(review.sources) - SHOWN_SOURCES} more source(s)"))
    for check in review.checks_passed:
        parts.append(Text(f"✓ {check}", style="green"))
    for passed, line in review_words.test_lines(review):
        mark, style = ("✓", "green") if passed else ("✗", "red")
        parts.append(Text(f"{mark} Dolt tests: {line}", style=style))
    if review.rejects:
        rejects = Table(title=f"Rejected rows ({review.rejected_rows})")
        for column in ("table", "file", "line", "column", "value", "reason"):
            rejects.add_column(column)
        for r in review.rejects[:20]:
            rejects.add_row(
                r.table, r.file, str(r.line or ""), r.column or "", r.value or "", r.reason
            )
        parts.append(rejects)
    if review.conflicts:
        parts.append(Text("What blocks the merge into main:", style="red"))
        parts.extend(Text(f"  {line}") for line in review.conflicts)
    return Group(*parts)


def question_text(question: Question) -> Text:
    choices = f" ({' / '.join(question.choices)})" if question.choices else ""
    return Text(f"? {question.text}{choices} — default: {question.default}. {question.why}")


def notice_text(text: str) -> Text:
    return Text(f"note: {text}", style="yellow")


def job_row(job: Job, stuck: Stuck | None = None) -> dict:
    return {
        "job": job.id,
        "status": job.status.value,
        "requester": job.requester.name,
        "database": job.database,
        "branch": job.branch,
        "created": job.created_at.isoformat(timespec="seconds"),
        "request": job.text,
        "stuck": stuck.words if stuck else None,
        "stuck_seconds": round(stuck.age_seconds) if stuck else None,
    }


def jobs_table(jobs: list[Job], stuck: Mapping[str, Stuck] | None = None) -> Table:
    """The jobs, newest first; a stuck candidate says which step and for how long."""
    stuck = stuck or {}
    table = Table(title="Import jobs")
    columns = ("job", "status", "requester", "database", "created")
    for column in (*columns, "request", "stuck"):
        table.add_column(column)
    for job in jobs:
        row = job_row(job, stuck.get(job.id))
        table.add_row(
            *(str(row[c] or "") for c in columns),
            job.text[:60],
            Text(row["stuck"] or "", style="yellow"),
        )
    return table


def job_detail(job: Job) -> Group:
    lines = [
        Text(f"Job {job.id}: {job.status.value}", style="bold"),
        Text(f"requested by {job.requester.name}: {job.text}"),
    ]
    if job.database:
        lines.append(Text(f"database {job.database}, branch {job.branch or '-'}"))
    if job.error:
        lines.append(Text(f"error: {job.error}", style="red"))
    for stage, versions in job.artifacts.items():
        latest = versions[-1]
        approved = f", approved by {latest.approved_by}" if latest.approved_by else ""
        lines.append(Text(f"{stage}: version {latest.version}{approved}"))
    if job.llm_usage:
        tokens = sum(
            int(u.get("prompt_tokens", 0)) + int(u.get("completion_tokens", 0))
            for u in job.llm_usage
        )
        lines.append(Text(f"LLM: {len(job.llm_usage)} call(s), {tokens} tokens"))
    audit = Table(title="Audit log")
    for column in ("when", "who", "what", "status"):
        audit.add_column(column)
    for entry in job.audit:
        moved = f"{entry.status_from} → {entry.status_to}" if entry.status_to else ""
        audit.add_row(
            entry.at.isoformat(timespec="seconds"),
            entry.actor,
            f"{entry.action} {entry.detail}".strip(),
            moved,
        )
    return Group(*lines, audit)
