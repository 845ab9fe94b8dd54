"""Import jobs run in this process (the terminal), through the same steps and decisions as a
worker: the job lives in a file store under the jobs folder, steps run inline, and the
terminal's answers go to `decide` like Slack clicks do.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agents.artifacts import Review
from agents.errors import AgentError
from agents.execution.branches import branch_name, job_id_of
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.merging import merge_branch
from agents.execution.review import build_review, key_columns
from agents.sources.resolve import SourcePolicy
from agents.stages.repair import Parses
from dolt.errors import BranchNotFound, DoltError
from dolt.interface import Database, DoltServer
from dolt.models import Author, ConflictPreview, MergeResult, RowChange
from dolt.repeated_rows import repeated_rows
from workers.context import StageContext
from workers.conversation import ConversationPort
from workers.decisions import STOPPED, DecisionRequest, decide
from workers.errors import IllegalTransition, JobNotFound
from workers.file_store import FileJobStore
from workers.inline_scheduler import InlineScheduler
from workers.interrupt import ctrl_c_noticed, interrupts_held, stop_interrupted
from workers.job import AuditEntry, Job, Person, Place
from workers.stage_table import STEPS, Action, Stage, Step, awaited_stage
from workers.states import Status
from workers.submit import submit_job


class DecidingPort(ConversationPort, Protocol):
    """A port in this process that also hands over what the person decided (the terminal's)."""

    def take_decision(self) -> DecisionRequest | None: ...

    def working(self, step: Step) -> AbstractContextManager[object]:
        """Shown while `step` runs (a spinner with its words); ends before any prompt."""
        ...


@dataclass(frozen=True)
class LocalSetup:
    server: DoltServer
    policy: SourcePolicy
    jobs_dir: Path
    author: Author
    llm: Parses | None = None

    @property
    def person(self) -> Person:
        return Person(id=self.author.email, name=self.author.name, email=self.author.email)


@dataclass(frozen=True)
class ImportOutcome:
    job_id: str
    status: Status
    database: str | None
    branch: str | None
    review: Review | None = None
    stopped_at: str | None = None
    """Where a cancelled import stopped, in words: "the schema proposal"."""
    stopped_because: str | None = None
    """Why, when an answer stopped it ("a.csv was already imported into `db.a` on …")."""
    error: str | None = None
    """Why a failed import failed, in the words of the error that stopped it."""
    interrupted: bool = False
    """Stopped by Ctrl-C: the job is cancelled and its branch, if it had one, removed."""
    branch_removed: bool = False


def _context(setup: LocalSetup, port: DecidingPort, scheduler: InlineScheduler) -> StageContext:
    return StageContext(
        store=FileJobStore(setup.jobs_dir),
        server=setup.server,
        policy=setup.policy,
        jobs_dir=setup.jobs_dir,
        scheduler=scheduler,
        port_for=lambda job: port,
        llm=setup.llm,
        stagings={},
    )


def _drive(ctx: StageContext, scheduler: InlineScheduler, port: DecidingPort) -> None:
    """Run scheduled steps; hand each answer the terminal gave to `decide`; until quiet."""
    while True:
        scheduler.run_pending(ctx, around=port.working)
        decision = port.take_decision()
        if decision is None:
            return
        decide(ctx, decision)


def run_import(text: str, *, setup: LocalSetup, port: DecidingPort) -> ImportOutcome:
    """understand → inspect → ask → schema → plan → execute, stopping at review."""
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    job, _ = submit_job(
        store=ctx.store,
        scheduler=ctx.scheduler,
        text=text,
        requester=setup.person,
        place=Place(kind="terminal"),
    )
    return _run(ctx, scheduler, port, job.id, setup.person)


def retry_import(job_id: str, *, setup: LocalSetup, port: DecidingPort) -> ImportOutcome:
    """A failed job of this folder, from the step that failed on, stopping at review."""
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    job = ctx.store.get(job_id_of(job_id))
    request = DecisionRequest(
        job.id, Stage.UNDERSTANDING, job.version(Stage.UNDERSTANDING), Action.RETRY, setup.person
    )
    decide(ctx, request)
    return _run(ctx, scheduler, port, job.id, setup.person)


def revert_import(job_id: str, *, setup: LocalSetup, port: DecidingPort) -> ImportOutcome:
    """Undo a merged import of this folder: a new job whose branch reverts the merge, run up to
    its review (merged, as any import, by `merge_import` of the new job)."""
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    merged = ctx.store.get(job_id_of(job_id))
    request = DecisionRequest(
        merged.id, Stage.REVIEW, merged.version(Stage.REVIEW), Action.REVERT, setup.person
    )
    revert = decide(ctx, request).job
    return _run(ctx, scheduler, port, revert.id, setup.person)


def change_import(
    job_id: str, change: str, *, setup: LocalSetup, port: DecidingPort
) -> ImportOutcome:
    """A change to a job of this folder that awaits review: the step that owns it runs again
    and the import is loaded again as a new commit on the same branch, stopping at review."""
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    job = ctx.store.get(job_id_of(job_id))
    request = DecisionRequest(
        job.id, Stage.REVIEW, job.version(Stage.REVIEW), Action.REVISE, setup.person, change
    )
    result = decide(ctx, request)
    if not result.took_effect:
        raise IllegalTransition(result.message)
    return _run(ctx, scheduler, port, job.id, setup.person)


def cancel_import(job_id: str, *, setup: LocalSetup, port: DecidingPort) -> tuple[str, Job]:
    """Cancel a job of this folder at whatever stage it is (one running in another terminal
    stops at its next batch); the message says what happened, and the job as it is now."""
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    job = ctx.store.get(job_id_of(job_id))
    request = DecisionRequest(
        job.id, Stage.UNDERSTANDING, job.version(Stage.UNDERSTANDING), Action.CANCEL, setup.person
    )
    result = decide(ctx, request)
    scheduler.run_pending(ctx)  # a branch awaiting review is discarded here
    return result.message, ctx.store.get(job.id)


def _run(
    ctx: StageContext, scheduler: InlineScheduler, port: DecidingPort, job_id: str, who: Person
) -> ImportOutcome:
    removed: bool | None = None
    failure: str | None = None
    try:
        with ctrl_c_noticed():
            _drive(ctx, scheduler, port)
    except KeyboardInterrupt:  # Ctrl-C, or the job cancelled from elsewhere while a step ran
        with interrupts_held():
            removed = stop_interrupted(ctx, job_id, who)
    except (AgentError, DoltError) as error:  # the step failed the job, saying why
        failure = str(error)
    finally:
        for staging in (ctx.stagings or {}).values():
            staging.close()
    job = ctx.store.get(job_id)
    return ImportOutcome(
        job_id=job.id,
        status=job.status,
        database=job.database,
        branch=job.branch,
        review=job.review() if job.has(Stage.REVIEW) else None,
        stopped_at=_stopped_at(job),
        stopped_because=_stopped_because(job),
        error=failure or job.error if job.status == Status.FAILED else None,
        interrupted=removed is not None,
        branch_removed=bool(removed),
    )


def _cancellation(job: Job) -> AuditEntry:
    return next(e for e in reversed(job.audit) if e.status_to == Status.CANCELLED)


def _stopped_because(job: Job) -> str | None:
    if job.status != Status.CANCELLED:
        return None
    cancelled = _cancellation(job)
    return cancelled.detail if cancelled.action == STOPPED else None


def _stopped_at(job: Job) -> str | None:
    if job.status != Status.CANCELLED:
        return None
    cancelled = _cancellation(job)
    if cancelled.status_from is None:
        return None
    awaited = awaited_stage(cancelled.status_from)
    if awaited is not None:
        return f"the {awaited.words}"
    return next(row.words for row in STEPS if cancelled.status_from in row.runs_in)


def _recorded_job(setup: LocalSetup, job_or_branch: str) -> Job | None:
    job_id = job_id_of(job_or_branch)
    try:
        job = FileJobStore(setup.jobs_dir).get(job_id)
    except JobNotFound:
        return None
    return job if job.status == Status.AWAITING_REVIEW else None


def _decide_review(setup: LocalSetup, job: Job, action: Action, port: DecidingPort) -> Job:
    scheduler = InlineScheduler()
    ctx = _context(setup, port, scheduler)
    decide(
        ctx,
        DecisionRequest(job.id, Stage.REVIEW, job.version(Stage.REVIEW), action, setup.person),
    )
    scheduler.run_pending(ctx)
    return ctx.store.get(job.id)


def find_branch(server: DoltServer, job_or_branch: str) -> tuple[Database, str]:
    """The database and branch of a job id (`import/<id>`) or a branch name."""
    branch = job_or_branch if "/" in job_or_branch else branch_name(job_or_branch)
    for name in server.list_databases():
        database = server.database(name=name)
        try:
            database.branch(name=branch)
        except (BranchNotFound, DoltError):
            database.close()
            continue
        return database, branch
    raise BranchNotFound(
        f"No database at {server.url} has a branch {branch!r}; `importbot branches` lists them."
    )


def review_import(job_or_branch: str, *, setup: LocalSetup) -> Review:
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        review = build_review(database, branch=branch)
        saved = _saved_review(setup.jobs_dir, branch)
        if saved is not None:
            review = review.model_copy(
                update={
                    "rejected_rows": saved.rejected_rows,
                    "rejects": saved.rejects,
                    "checks_passed": saved.checks_passed,
                    "sources": saved.sources,
                    "destructive": saved.destructive,
                }
            )
        return review
    finally:
        database.close()


@dataclass(frozen=True)
class TableChanges:
    """Every changed row of one table of an import branch, against main."""

    table: str
    key: list[str]
    changes: list[RowChange]


def table_changes(
    job_or_branch: str, *, setup: LocalSetup, table: str | None = None
) -> list[TableChanges]:
    """The changed rows of each table the branch changed (only `table`, when named)."""
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        return [
            TableChanges(
                table=diff.name,
                key=key_columns(diff.schema_after),
                changes=list(database.diff_rows(table=diff.name, branch=branch)),
            )
            for diff in database.diff_summary(branch=branch).tables
            if diff.name != LEDGER_TABLE
            and (table is None or diff.name == table)
            and (diff.rows_added or diff.rows_modified or diff.rows_deleted)
        ]
    finally:
        database.close()


def _saved_review(jobs_dir: Path, branch: str) -> Review | None:
    try:
        job = FileJobStore(jobs_dir).get(job_id_of(branch))
    except JobNotFound:
        return None
    return job.review() if job.has(Stage.REVIEW) else None


def review_to_merge(job_or_branch: str, *, setup: LocalSetup) -> Review:
    """The review a merge goes by: the one recorded for a job awaiting review (what the person
    saw; the merge refuses it when main moved in a way that changes it), else the branch's
    review as it is now."""
    job = _recorded_job(setup, job_or_branch)
    if job is not None and job.has(Stage.REVIEW):
        return job.review()
    return review_import(job_or_branch, setup=setup)


def merge_preview(job_or_branch: str, *, setup: LocalSetup) -> ConflictPreview:
    """What merging the branch into main would hit now (nothing changes)."""
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        preview = database.preview_merge(branch=branch)
        return dataclasses.replace(preview, repeated_rows=repeated_rows(database, branch=branch))
    finally:
        database.close()


def already_merged(job_or_branch: str, *, setup: LocalSetup) -> Job | None:
    """The job of `job_or_branch` when it was merged already (its `merge_commit` says where)."""
    try:
        job = FileJobStore(setup.jobs_dir).get(job_id_of(job_or_branch))
    except JobNotFound:
        return None
    return job if job.status == Status.MERGED else None


def merge_import(
    job_or_branch: str, *, setup: LocalSetup, port: DecidingPort
) -> tuple[str, str, str | None]:
    """Merge a reviewed import into main (refused with the preview on conflicts); returns the
    database, the branch and the merge commit."""
    job = _recorded_job(setup, job_or_branch)
    if job is not None:
        job = _decide_review(setup, job, Action.MERGE, port)
        assert job.database is not None and job.branch is not None  # set before the review
        return job.database, job.branch, job.merge_commit
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        result: MergeResult = merge_branch(
            database, branch=branch, message=f"Merge {branch}", author=setup.author
        )
        database.delete_branch(name=branch)
        return database.name, branch, result.hash
    finally:
        database.close()


def discard_import(job_or_branch: str, *, setup: LocalSetup, port: DecidingPort) -> tuple[str, str]:
    job = _recorded_job(setup, job_or_branch)
    if job is not None:
        job = _decide_review(setup, job, Action.DISCARD, port)
        assert job.database is not None and job.branch is not None  # set before the review
        return job.database, job.branch
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        database.delete_branch(name=branch)
        database.gc()
        return database.name, branch
    finally:
        database.close()
