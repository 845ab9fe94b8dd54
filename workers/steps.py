"""The stages of a job as plain functions, for Celery tasks and the terminal alike.

Each step re-reads the job, returns quietly unless the job owes exactly this step (`job.pending`
and the status say so — a repeated delivery finds it done), does its work outside the store,
saves the artifact and the next state in one optimistic update, then tells the conversation and
schedules what follows. Every write to Dolt happens on the job's own branch.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import redis

from agents import pipeline
from agents.artifacts import (
    FollowUpQuestions,
    ImportRequest,
    Review,
)
from agents.errors import AgentError, LlmUnavailable, SourceError
from agents.execution.merging import merge_branch
from agents.execution.reverting import revert_merge
from agents.execution.staleness import OutdatedReview, recheck_review
from dolt.errors import (
    BranchNotFound,
    Busy,
    ConnectionLost,
    DoltError,
    MergeConflict,
)
from dolt.interface import Database
from workers import giving_up
from workers.branch_revisions import next_revision, record_revision
from workers.context import StageContext, author_of
from workers.error_words import in_plain_words
from workers.errors import JobBusy, ReviewOutdated
from workers.heartbeats import beating
from workers.interrupt import JobCancelled, as_interrupt, remove_branch, stop_if_cancelled
from workers.job import Attachment, Job, Person
from workers.leftovers import drop_created_database
from workers.stage_table import Stage, Step, stage_row, step_row
from workers.states import OPEN, Status

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT: tuple[type[BaseException], ...] = (
    Busy,
    ConnectionLost,
    LlmUnavailable,
    JobBusy,
    redis.ConnectionError,
)
"""Errors a task is retried on (with backoff); anything else fails the job with its message."""


StepFunction = Callable[..., None]
STEP_FUNCTIONS: dict[Step, StepFunction] = {}
"""The function of every step in the stage table, registered by `@runs`."""


def runs(step: Step) -> Callable[[StepFunction], StepFunction]:
    """Register the function that does a step of the stage table."""

    def register(function: StepFunction) -> StepFunction:
        STEP_FUNCTIONS[step] = function
        return function

    return register


def run_step(
    ctx: StageContext, step: Step | str, job_id: str, *, reraise: bool = False, **arguments
):
    """Run one step under the job's lock, beating while it runs; a non-transient error fails
    the job, saying why; a job cancelled meanwhile is cleaned up (its branch removed)."""
    step = Step(step)
    try:
        with (
            ctx.store.lock(job_id),
            as_interrupt(),
            beating(ctx.heartbeats, job_id, step, arguments),
        ):
            if not _model_missing(ctx, step, job_id):
                STEP_FUNCTIONS[step](ctx, job_id, **arguments)
            _clean_up_if_cancelled(ctx, step, job_id)
    except JobCancelled:
        if reraise:  # the terminal removes the branch as for Ctrl-C, and says so
            raise
        _clean_up_if_cancelled(ctx, step, job_id)
    except TRANSIENT:
        raise
    except (MergeConflict, ReviewOutdated):
        if reraise:  # the terminal shows the conflicts; a worker has told the thread already
            raise
    except (AgentError, DoltError) as error:
        if not _clean_up_if_cancelled(ctx, step, job_id):
            fail(ctx, job_id, str(error), step=step, arguments=arguments)
        if reraise:
            raise
    except Exception as error:
        if _clean_up_if_cancelled(ctx, step, job_id):
            return
        log.exception("step %s of job %s failed", step, job_id)
        fail(ctx, job_id, giving_up.step_error(job_id, step, error), step=step, arguments=arguments)
        raise


def _model_missing(ctx: StageContext, step: Step, job_id: str) -> bool:
    """A step that asks the model, on a worker whose model cannot be used: failed, saying so."""
    if ctx.model_problem is None or not step_row(step).asks_model:
        return False
    if ctx.store.get(job_id).owes(step):
        fail(
            ctx, job_id, giving_up.model_not_configured(job_id, step, ctx.model_problem), step=step
        )
    return True


def _clean_up_if_cancelled(ctx: StageContext, step: Step, job_id: str) -> bool:
    """A job cancelled while the step ran: its branch (and a database it created, now empty)
    is removed; True when it was cancelled."""
    if not ctx.store.cancelled(job_id):
        return False
    if step_row(step).opens_database:
        job = ctx.store.get(job_id)
        remove_branch(ctx, job)
        drop_created_database(ctx, job)
    return True


def fail(
    ctx: StageContext,
    job_id: str,
    reason: str,
    *,
    step: Step | None = None,
    arguments: dict[str, str] | None = None,
) -> None:
    """End an open job as failed, saying why; it remembers the step, for a retry. People read
    the reason in plain words (no server paths, no raw engine errors); the worker's log keeps
    it whole."""
    said = in_plain_words(reason, roots=ctx.policy.roots)
    if said != reason:
        log.info("job %s failed: %s", job_id, reason)

    def apply(job: Job) -> bool:
        if job.status not in OPEN:
            return False
        job.error = said
        job.failed_step = step or job.pending
        job.failed_arguments = dict(arguments or {})
        job.pending = None
        job.move(Status.FAILED, actor="worker", action=Status.FAILED, detail=said)
        return True

    job, changed = ctx.store.update(job_id, apply)
    if changed:
        drop_created_database(ctx, job)
        ctx.port_for(job).finished(job)


# -- helpers ---------------------------------------------------------------------------------
def _owes(job: Job, step: Step) -> bool:
    return job.owes(step)


def _attachments(job: Job) -> list[Path]:
    return [Path(a.path) for a in job.attachments if a.path]


@contextmanager
def _staged(ctx: StageContext, job: Job, request: ImportRequest) -> Iterator[pipeline.Staging]:
    """The job's staged sources: kept from inspection in this process, or staged again from
    the inspection's snapshots in the job's folder (this worker may not be the one that
    inspected them; the sources are never resolved or fetched again)."""
    if ctx.stagings is not None and job.id in ctx.stagings:
        yield ctx.stagings[job.id]
        return
    inspection = job.inspection()
    staging = pipeline.stage_sources(
        request,
        snapshots=inspection.snapshots,
        workdir=ctx.workdir(job.id),
        profiles=inspection.profiles,
    )
    try:
        yield staging
    finally:
        staging.close()


def _keep_or_close(ctx: StageContext, job_id: str, staging: pipeline.Staging) -> None:
    if ctx.stagings is None:
        staging.close()
    else:
        ctx.stagings[job_id] = staging


def _close_kept(ctx: StageContext, job_id: str) -> None:
    """A job inspected again (its files read another way) stages them anew: the staging kept
    from its earlier inspection is closed first."""
    previous = ctx.stagings.pop(job_id, None) if ctx.stagings is not None else None
    if previous is not None:
        previous.close()


def _with_usage(ctx: StageContext, job_id: str, call: Callable[[], T]) -> T:
    """Run a call that may ask the model; its token usage is added to the job's record."""
    usage = getattr(ctx.llm, "usage", None)
    before = len(usage) if usage is not None else 0
    try:
        return call()
    finally:
        spent = [asdict(u) for u in usage[before:]] if usage is not None else []
        if spent:
            ctx.store.update(job_id, lambda job: job.llm_usage.extend(spent))


def _new_version(
    ctx: StageContext,
    job_id: str,
    *,
    stage: Stage,
    artifact,
    feedback: str = "",
    also: Callable[[Job], None] | None = None,
    action: str | None = None,
) -> tuple[Job, int | None]:
    """Save the step's artifact as the stage's next version and move on, if the job still owes
    the step (else None: a repeated delivery, or the job moved on meanwhile)."""
    row = stage_row(stage)

    def apply(job: Job) -> int | None:
        if not _owes(job, row.made_by) or row.waits_in is None:
            return None
        version = job.add_artifact(stage, artifact, feedback=feedback or None)
        if also is not None:
            also(job)
        job.pending = None
        job.move(row.waits_in, actor="worker", action=action or f"{stage} v{version}")
        return version

    return ctx.store.update(job_id, apply)


@contextmanager
def _database(ctx: StageContext, name: str | None, *, create: bool = False):
    assert name is not None, "a job's database is named once its request is understood"
    database = ctx.server.database(name=name, create=create)
    try:
        yield database
    finally:
        database.close()


@contextmanager
def _dropped_if_this_fails(ctx: StageContext, name: str | None) -> Iterator[None]:
    """A database the step creates is deleted again when the step fails or is interrupted
    before anything was written to it: a request for a missing file leaves no empty database."""
    existed = name in ctx.server.list_databases()
    try:
        yield
    except BaseException:
        if not existed and name is not None:
            with contextlib.suppress(DoltError):
                ctx.server.drop_if_untouched(name=name)
        raise


# -- the steps -------------------------------------------------------------------------------
@runs(Step.UNDERSTAND)
def understand(ctx: StageContext, job_id: str, feedback: str = "") -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.UNDERSTAND):
        return
    text = job.text
    if ctx.llm is None:  # the grammar reads the request with every change said so far
        said = [v.feedback for v in job.artifacts.get(Stage.UNDERSTANDING, []) if v.feedback]
        text = "\n".join([job.text, *said, *([feedback] if feedback else [])])
    request = _with_usage(
        ctx,
        job_id,
        lambda: pipeline.understand(text, llm=ctx.llm, conversation=job.conversation),
    )

    job, version = _new_version(
        ctx,
        job_id,
        stage=Stage.UNDERSTANDING,
        artifact=request,
        feedback=feedback,
        also=lambda job: setattr(job, "database", request.database),
    )
    if version:
        ctx.port_for(job).understanding(job, request, version=version)


@runs(Step.INSPECT)
def inspect(ctx: StageContext, job_id: str) -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.INSPECT):
        return
    job = _fetch_attachments(ctx, job)
    request = _without_attachment_words(job.request(), job)
    created = request.database not in ctx.server.list_databases()
    _close_kept(ctx, job_id)
    with (
        _dropped_if_this_fails(ctx, request.database),
        _database(ctx, request.database, create=True) as database,
    ):
        inspection, staging = pipeline.inspect(
            request,
            database=database,
            policy=ctx.policy,
            workdir=ctx.workdir(job_id),
            attachments=_attachments(job),
        )
        _keep_or_close(ctx, job_id, staging)
        baseline = pipeline.baseline_schema(request, inspection)
        questions = _with_usage(
            ctx,
            job_id,
            lambda: pipeline.ask(request, inspection, baseline=baseline, llm=ctx.llm),
        )

    def apply(job: Job) -> int | None:
        if not _owes(job, Step.INSPECT):
            return None
        job.add_artifact(Stage.INSPECTION, inspection)
        job.created_database = job.created_database or created
        if questions:
            job.pending = None
            version = job.add_artifact(Stage.QUESTIONS, FollowUpQuestions(questions=questions))
            job.move(Status.AWAITING_ANSWERS, actor="worker", action=f"questions v{version}")
            return version
        job.pending = Step.PROPOSE_SCHEMA
        job.record(actor="worker", action="inspected", detail="no questions")
        return 0

    job, version = ctx.store.update(job_id, apply)
    if version:
        ctx.port_for(job).questions(job, questions, version=version)
    elif version == 0:
        ctx.scheduler.schedule(Step.PROPOSE_SCHEMA, job)


ATTACHMENT_WORDS = frozenset(
    {
        "this",
        "it",
        "these",
        "attached",
        "the attached file",
        "the attached files",
        "the attachment",
        "the attachments",
        "this file",
        "these files",
        "attachment",
    }
)


def _fetch_attachments(ctx: StageContext, job: Job) -> Job:
    """Attachments the surface recorded by URL, downloaded into the job's folder once, each to
    a file of its own. When one fails, those this step downloaded are removed again."""
    missing = [a for a in job.attachments if a.path is None and a.url]
    if not missing or ctx.fetch_attachment is None:
        return job
    downloaded: list[Path] = []
    try:
        fetched = [_fetched(ctx, job, a, downloaded=downloaded) for a in job.attachments]
    except BaseException:
        for path in downloaded:
            path.unlink(missing_ok=True)
        raise

    def apply(job: Job) -> None:
        job.attachments = fetched

    job, _ = ctx.store.update(job.id, apply)
    return job


def _fetched(
    ctx: StageContext, job: Job, attachment: Attachment, *, downloaded: list[Path]
) -> Attachment:
    """The attachment with the path of its downloaded copy (added to `downloaded`); one that
    was fetched before, or has no URL, as it is. Two saved as one file is an error, never a
    lost file."""
    if attachment.path or not attachment.url:
        return attachment
    assert ctx.fetch_attachment is not None
    path = ctx.fetch_attachment(attachment, ctx.workdir(job.id))
    clash = path in downloaded or path in {Path(a.path) for a in job.attachments if a.path}
    downloaded.append(path)
    if clash:
        raise SourceError(
            f"Two attachments were both saved as {path.name}; attach them under different names."
        )
    return attachment.model_copy(update={"path": str(path)})


def _without_attachment_words(request: ImportRequest, job: Job) -> ImportRequest:
    """'import people.csv into x' with people.csv attached names the attachment, not a path."""
    if not job.attachments:
        return request
    names = {a.name.lower() for a in job.attachments} | ATTACHMENT_WORDS
    return request.model_copy(
        update={"sources": [s for s in request.sources if s.strip().lower() not in names]}
    )


@runs(Step.PROPOSE_SCHEMA)
def propose_schema(ctx: StageContext, job_id: str, feedback: str = "") -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.PROPOSE_SCHEMA):
        return
    request = job.request()
    inspection = job.inspection()
    previous = job.schema_proposal() if job.has(Stage.SCHEMA) else None
    with _database(ctx, request.database) as database:
        proposal = _with_usage(
            ctx,
            job_id,
            lambda: pipeline.propose(
                request,
                inspection,
                database=database,
                llm=ctx.llm,
                previous=previous,
                answers=job.answers,
                conversation=job.conversation,
                feedback=feedback or None,
            ),
        )
    job, version = _new_version(
        ctx,
        job_id,
        stage=Stage.SCHEMA,
        artifact=proposal,
        feedback=feedback,
    )
    if version:
        ctx.port_for(job).schema(job, proposal, version=version)


@runs(Step.PLAN)
def plan(ctx: StageContext, job_id: str, feedback: str = "") -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.PLAN):
        return
    request = job.request()
    inspection = job.inspection()
    schema = job.schema_proposal()
    previous = job.import_plan() if job.has(Stage.PLAN) else None
    with _database(ctx, request.database) as database, _staged(ctx, job, request) as staging:
        import_plan = _with_usage(
            ctx,
            job_id,
            lambda: pipeline.plan(
                request,
                inspection,
                schema,
                staging=staging,
                database=database,
                llm=ctx.llm,
                previous=previous,
                conversation=job.conversation,
            ),
        )
    job, version = _new_version(
        ctx,
        job_id,
        stage=Stage.PLAN,
        artifact=import_plan,
        feedback=feedback,
    )
    if version:
        ctx.port_for(job).plan(job, import_plan, version=version)


@runs(Step.EXECUTE)
def execute(ctx: StageContext, job_id: str) -> None:
    """Load the approved plan into `import/<job>`; a redelivered run resets the branch first."""
    job = ctx.store.get(job_id)
    if not _owes(job, Step.EXECUTE):
        return
    request = job.request()
    port = ctx.port_for(job)
    revision = next_revision(job)  # a change asked for at review: a new commit on the branch
    with _database(ctx, request.database) as database, _staged(ctx, job, request) as staging:
        review = pipeline.run(
            job_id=job.id,
            text=job.text,
            author=author_of(job.requester),
            schema=job.schema_proposal(),
            import_plan=job.import_plan(),
            database=database,
            staging=staging,
            on_progress=_progress(ctx, job, port),
            sources=job.inspection().snapshots,
            revision=revision,
            checks=request.checks,
            llm=ctx.llm,
        )
        tip = database.branch(name=review.branch).head

    def record_result(job: Job) -> None:
        job.branch = review.branch
        job.commit = review.commit
        job.review_summary = _summary(review)
        record_revision(job, review, tip=tip)

    job, version = _new_version(
        ctx,
        job_id,
        stage=Stage.REVIEW,
        artifact=review,
        also=record_result,
        action="loaded",
    )
    if version:
        port.review(job, review, version=version)


def _progress(ctx: StageContext, job: Job, port) -> Callable[[str, int, int], None]:
    """Told at every batch of the load: stops it (as Ctrl-C does) once the job is cancelled."""

    def report(table: str, done: int, expected: int) -> None:
        stop_if_cancelled(ctx.store, job.id)
        port.progress(job, table, done, expected)

    return report


def _summary(review: Review) -> dict:
    return {
        "tables": {
            t.name: {"added": t.rows_added, "modified": t.rows_modified, "deleted": t.rows_deleted}
            for t in review.tables
        },
        "rejected_rows": review.rejected_rows,
        "conflicts": len(review.conflicts),
    }


@runs(Step.MERGE)
def merge(ctx: StageContext, job_id: str) -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.MERGE):
        return
    merger = job.pending_by or job.requester
    assert job.branch is not None  # set with the review the merge was asked from
    merge_commit: str | None
    with _database(ctx, job.database) as database:
        outdated = _outdated_review(database, job)
        if outdated is not None:
            _show_again(ctx, job_id, merger, outdated)
            raise ReviewOutdated(f"{MERGE_REFUSED}: {outdated.words}.")
        try:
            result = merge_branch(
                database,
                branch=job.branch,
                message=_merge_message(job),
                author=author_of(merger),
                into="main",
            )
            merge_commit = result.hash
        except MergeConflict as conflict:
            _refuse_merge(ctx, job_id, merger, str(conflict))
            raise
        except BranchNotFound:
            merge_commit = _merged_before(database, job)
        with contextlib.suppress(BranchNotFound):
            database.delete_branch(name=job.branch)
    _close(
        ctx,
        job_id,
        step=Step.MERGE,
        by=merger,
        detail=merge_commit or "",
        also=lambda job: setattr(job, "merge_commit", merge_commit),
    )


def _close(ctx, job_id, *, step: Step, by: Person, detail: str, also=None) -> None:
    """The last transition of a job the step finished (merged, discarded); told once."""
    (to,) = step_row(step).moves_to

    def apply(job: Job) -> bool:
        if not _owes(job, step):
            return False
        if also is not None:
            also(job)
        job.pending = None
        job.move(to, actor=by.id, action=to.value, detail=detail)
        return True

    job, changed = ctx.store.update(job_id, apply)
    if changed:
        ctx.port_for(job).finished(job)


MERGE_SEARCH_DEPTH = 1000
"""How far back along main a redelivered merge looks for the merge commit it made."""


def _merge_message(job: Job) -> str:
    return f"Merge {job.branch} (import job {job.id})"


def _merged_before(database: Database, job: Job) -> str | None:
    """A redelivered merge whose branch is gone: fine if main already holds its commit, and
    the merge commit that brought it there is the one recorded (found by its message among
    main's newest MERGE_SEARCH_DEPTH commits; None when it is not among them)."""
    if not job.commit or database.merge_base(branch=job.commit, other="main") != job.commit:
        raise BranchNotFound(f"The branch {job.branch} is gone and main does not hold its commit.")
    wanted = _merge_message(job)
    for commit, message in database.commits(ref="main", limit=MERGE_SEARCH_DEPTH):
        if message == wanted:
            return commit
    return None


MERGE_REFUSED = "Merge refused, nothing changed on main"


def _refuse_merge(ctx: StageContext, job_id: str, merger: Person, reason: str) -> None:
    def apply(job: Job) -> None:
        job.pending = None
        job.record(actor=merger.id, action="merge refused", detail=reason)

    job, _ = ctx.store.update(job_id, apply)
    ctx.port_for(job).notice(job, f"{MERGE_REFUSED}: {reason}")


def _outdated_review(database: Database, job: Job) -> OutdatedReview | None:
    """The review computed again when main moved since the one shown, if what matters in it
    changed. Nothing to compare for a job without a recorded review, nor for a redelivered
    merge (its branch gone, or already in main: the merge below finds its commit)."""
    if not job.has(Stage.REVIEW) or not job.branch:
        return None
    try:
        head = database.branch(name=job.branch).head
        if database.merge_base(branch=head, other="main") == head:
            return None
        return recheck_review(database, shown=job.review())
    except BranchNotFound:
        return None


def _show_again(ctx: StageContext, job_id: str, merger: Person, outdated: OutdatedReview) -> None:
    """The merge is refused and the new review becomes the next version (the old one's buttons
    are outdated from now); the job keeps waiting for a decision about it."""
    review = outdated.review

    def apply(job: Job) -> int:
        job.pending = None
        version = job.add_artifact(Stage.REVIEW, review, feedback=outdated.in_short)
        job.commit = review.commit
        job.review_summary = _summary(review)
        job.record(actor=merger.id, action="merge refused", detail=outdated.words)
        return version

    job, version = ctx.store.update(job_id, apply)
    port = ctx.port_for(job)
    port.notice(job, f"{MERGE_REFUSED}: {outdated.words}. The review as it is now follows.")
    port.review(job, review, version=version)


@runs(Step.REVERT)
def revert(ctx: StageContext, job_id: str) -> None:
    """A revert job's branch, made from main's head, with the merged job's merge reverted on
    it; then its review, awaiting Merge / Discard like any import (main is not touched)."""
    job = ctx.store.get(job_id)
    if not _owes(job, Step.REVERT):
        return
    assert job.reverts is not None  # set when the revert job was started
    reverted = ctx.store.get(job.reverts)
    assert reverted.merge_commit is not None  # a revert starts only for a merged job
    with _database(ctx, job.database) as database:
        review = revert_merge(
            database,
            job_id=job.id,
            reverted_job=reverted.id,
            merge_commit=reverted.merge_commit,
            author=author_of(job.pending_by or job.requester),
        )

    def apply(job: Job) -> int | None:
        if not _owes(job, Step.REVERT):
            return None
        version = job.add_artifact(Stage.REVIEW, review)
        job.branch, job.commit, job.review_summary = review.branch, review.commit, _summary(review)
        job.pending = None
        job.move(Status.AWAITING_REVIEW, actor="worker", action=f"reverted {reverted.id}")
        return version

    job, version = ctx.store.update(job_id, apply)
    if version:
        ctx.port_for(job).review(job, review, version=version)


@runs(Step.DISCARD)
def discard(ctx: StageContext, job_id: str) -> None:
    job = ctx.store.get(job_id)
    if not _owes(job, Step.DISCARD):
        return
    who = job.pending_by or job.requester
    with _database(ctx, job.database) as database:
        with contextlib.suppress(BranchNotFound):
            database.delete_branch(name=job.branch)
        database.gc()
    _close(ctx, job_id, step=Step.DISCARD, by=who, detail=job.branch or "")
