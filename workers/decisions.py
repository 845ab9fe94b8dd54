"""What people decide about a job: confirm, answer, approve, change, run, merge, discard, cancel,
and retry a failed one (as it was, or with a change to the request).

`decide` applies a decision in one optimistic update (so two clicks, or two surfaces, can never
both take effect), then schedules the step it calls for. A decision about a replaced version is
refused; a repeated decision reports what already happened and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents import pipeline
from agents.artifacts import ImportRequest
from agents.stages import write_modes
from agents.stages.grammar_text import redact_credentials
from workers.context import StageContext
from workers.conversation import ConversationPort
from workers.errors import IllegalTransition
from workers.job import ArtifactVersion, Job, Person
from workers.leftovers import drop_created_database
from workers.permissions import Permissions
from workers.reverts import start_revert
from workers.revision_in_words import revised_in_words
from workers.stage_table import (
    AFTER_FAILURE,
    STEPS,
    Action,
    Stage,
    StageRow,
    Step,
    stage_row,
    step_row,
)
from workers.states import FINAL, Status

MAX_VERSIONS = 6
STOPPED = "stopped"
"""The audit action of a job the person stopped at a question (content already imported)."""
DAY = 24 * 3600


@dataclass(frozen=True)
class DecisionRequest:
    job_id: str
    stage: Stage
    version: int
    action: Action
    actor: Person
    feedback: str = ""
    answers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:  # a decision from a task's JSON names them as strings
        object.__setattr__(self, "stage", Stage(self.stage))
        object.__setattr__(self, "action", Action(self.action))


@dataclass(frozen=True)
class DecisionResult:
    message: str
    took_effect: bool
    job: Job


@dataclass(frozen=True)
class _Effect:
    message: str
    step: Step | None = None
    arguments: dict[str, str] = field(default_factory=dict)
    reshow: bool = False
    took_effect: bool = True
    step_cleans_up: bool = False
    """A cancelled job's running step removes what it wrote (and a database it created)."""


def decide(
    ctx: StageContext,
    decision: DecisionRequest,
    *,
    permissions: Permissions | None = None,
    key: str | None = None,
) -> DecisionResult:
    """Apply a person's decision. `key` (a Slack action id, say) makes a redelivery a no-op."""
    job = ctx.store.get(decision.job_id)
    (permissions or Permissions()).check(decision.action, decision.actor, job)
    if key is not None and not ctx.store.claim(f"decision:{key}", ttl_seconds=DAY):
        return DecisionResult("Already done.", False, job)
    if decision.action == Action.REVERT:
        return _revert(ctx, decision, key=key)
    try:
        job, effect = ctx.store.update(decision.job_id, lambda job: _apply(job, decision, ctx))
    except Exception:
        if key is not None:
            ctx.store.unclaim(f"decision:{key}")  # nothing happened: a redelivery may try again
        raise
    if effect.step:
        ctx.scheduler.schedule(effect.step, job, **effect.arguments)
    port = ctx.port_for(job)
    if effect.reshow:
        port.notice(job, effect.message)
        _reshow(port, job, decision.stage)
    if effect.took_effect and job.status in FINAL:
        if job.status == Status.CANCELLED and not effect.step_cleans_up:
            drop_created_database(ctx, job)
        port.finished(job)
    return DecisionResult(effect.message, effect.took_effect, job)


def _revert(ctx: StageContext, decision: DecisionRequest, *, key: str | None) -> DecisionResult:
    """Undo a merged import: a new job (its result) makes the branch that reverts the merge and
    posts its review where the merged job talks; refused in words when it cannot be reverted."""
    try:
        revert = start_revert(ctx, decision.job_id, by=decision.actor)
    except Exception:
        if key is not None:
            ctx.store.unclaim(f"decision:{key}")
        raise
    message = (
        f"Reverting import {decision.job_id} as job {revert.id}: a branch that undoes its "
        "merge, to review before main changes."
    )
    ctx.port_for(revert).notice(revert, message)
    return DecisionResult(message, True, revert)


def _apply(job: Job, decision: DecisionRequest, ctx: StageContext) -> _Effect:
    if decision.action == Action.CANCEL:
        return _cancel(job, decision.actor)
    if decision.action in AFTER_FAILURE:
        return _after_failure(job, decision, ctx)
    if job.reverts is not None and decision.action == Action.REVISE:
        raise IllegalTransition(
            f"Job {job.id} reverts the merge of import {job.reverts} as a whole; it takes no "
            "changes: merge it or discard it."
        )
    row = stage_row(decision.stage)
    if job.latest(row.stage) is None:
        raise IllegalTransition(
            f"Job {job.id} is {job.status.words}; it has no {row.words} to decide about yet."
        )
    latest = job.check_version(row.stage, decision.version)
    if latest.approved_by is not None:
        return _Effect(
            f"The {row.words} was already approved by {latest.approved_by}.", took_effect=False
        )
    if job.pending is not None and job.status == row.waits_in:
        return _Effect(f"Already working on it ({step_row(job.pending).words}).", took_effect=False)
    if row.waits_in is None or job.status != row.waits_in:
        raise IllegalTransition(
            f"Job {job.id} is {job.status.words}; it is not waiting for a decision about its "
            f"{row.words}."
        )
    step = row.step_for(decision.action)
    if decision.action in (Action.ANSWER, Action.SKIP):
        return _answer(job, decision, row, step)
    if decision.action in (Action.MERGE, Action.DISCARD):
        return _merge_or_discard(job, decision, step)
    if decision.action == Action.REVISE and row.revised_through:
        return _refine(job, decision, row, ctx)
    if decision.action == Action.REVISE:
        return _revise(job, decision, row, step, ctx)
    return _approve(job, decision, row, step)


def _cancel(job: Job, who: Person) -> _Effect:
    """Every open job can be cancelled. A running step notices at its next batch and removes
    its branch; a loaded branch awaiting review is discarded (on its database's queue)."""
    if job.status in FINAL:
        return _Effect(f"Job {job.id} is already {job.status.value}.", took_effect=False)
    if job.status == Status.AWAITING_REVIEW:
        if job.pending is not None:
            return _Effect(
                f"Already working on it ({step_row(job.pending).words}).", took_effect=False
            )
        job.pending = Step.DISCARD
        job.pending_by = who
        job.record(actor=who.id, action=f"asked to {Action.CANCEL}")
        return _Effect(f"Cancelled: discarding {job.branch}; main never saw it.", step=Step.DISCARD)
    # a step that opens the database cleans up after itself (here it would race with it)
    owed_writes = job.pending is not None and step_row(job.pending).opens_database
    loading = job.status == Status.RUNNING
    job.pending = None
    job.move(Status.CANCELLED, actor=who.id, action=Status.CANCELLED)
    if loading:
        message = (
            "Cancelled: the load stops at its next batch and its branch is removed; "
            "nothing reaches main."
        )
        return _Effect(message, step_cleans_up=owed_writes)
    return _Effect("Cancelled; nothing was written.", step_cleans_up=owed_writes)


def _after_failure(job: Job, decision: DecisionRequest, ctx: StageContext) -> _Effect:
    """Retry a failed job from the step that failed, or with a change to the request (read
    again from the start)."""
    if job.status != Status.FAILED:
        raise IllegalTransition(
            f"Job {job.id} is {job.status.words}; only a failed job can be retried."
        )
    if decision.action == Action.EDIT_REQUEST:
        feedback = redact_credentials(decision.feedback.strip())
        if not feedback:
            raise IllegalTransition("Say what to change in the request.")
        step, arguments = Step.UNDERSTAND, {"feedback": feedback}
        job.conversation.append(f"person: change the request: {feedback}")
    else:
        step, arguments = job.failed_step or Step.UNDERSTAND, dict(job.failed_arguments)
    _recreate_database(job, step, ctx)
    failed_in = next(
        (e.status_from for e in reversed(job.audit) if e.status_to == Status.FAILED), None
    )
    runs_in = step_row(step).runs_in
    job.error = None
    job.failed_step = None
    job.failed_arguments = {}
    job.pending = step
    job.pending_by = decision.actor
    job.move(
        failed_in if failed_in in runs_in else runs_in[0],
        actor=decision.actor.id,
        action=decision.action.value,
        detail=arguments.get("feedback", ""),
    )
    return _Effect(f"Trying again: {step_row(step).words}.", step=step, arguments=arguments)


def _recreate_database(job: Job, step: Step, ctx: StageContext) -> None:
    """The failure dropped the (empty) database the job had created; a step after inspection
    needs it back, empty as it was (the schema goes onto the job's branch)."""
    steps = [row.step for row in STEPS]
    if not job.created_database or steps.index(step) <= steps.index(Step.INSPECT):
        return
    if job.database and job.database not in ctx.server.list_databases():
        ctx.server.database(name=job.database, create=True).close()


def _owe(job: Job, step: Step, decision: DecisionRequest, row: StageRow, action: str) -> None:
    """The decision took effect: the job owes `step`, moved where the stage's decisions go."""
    job.pending = step
    job.pending_by = decision.actor
    if row.decided_moves_to is not None:
        job.move(row.decided_moves_to, actor=decision.actor.id, action=action)
    else:
        job.record(actor=decision.actor.id, action=action)


def _approve(job: Job, decision: DecisionRequest, row: StageRow, step: Step) -> _Effect:
    _latest(job, row.stage).approved_by = decision.actor.id
    job.conversation.append(f"person: approved the {row.words}")
    _owe(job, step, decision, row, action=f"approved {row.stage} v{decision.version}")
    return _Effect(f"Approved by {decision.actor.name}.", step=step)


def _revise(
    job: Job, decision: DecisionRequest, row: StageRow, step: Step, ctx: StageContext
) -> _Effect:
    feedback = redact_credentials(decision.feedback.strip())
    if not feedback:
        raise IllegalTransition(f"Say what to change in the {row.words}.")
    revised: ImportRequest | None = None
    if ctx.llm is None and row.stage != Stage.UNDERSTANDING:
        in_words = revised_in_words(job, feedback, row)
        if isinstance(in_words, str):
            return _Effect(in_words, reshow=True, took_effect=False)
        revised, step = in_words.request, in_words.step
    if decision.version >= MAX_VERSIONS:
        raise IllegalTransition(
            f"The {row.words} has been revised {decision.version - 1} times; cancel and start a "
            "new request with everything you want in it."
        )
    message = f"Revising the {row.words}."
    if revised is not None:  # the grammar read the change: the request takes it, the step reruns
        job.add_artifact(Stage.UNDERSTANDING, revised, feedback=feedback)
        _latest(job, Stage.UNDERSTANDING).approved_by = decision.actor.id  # who said it
        message = f"Revising the {row.words}: {revised.summary}"
    job.conversation.append(f"person: change the {row.words}: {feedback}")
    job.pending = step
    job.pending_by = decision.actor
    action = f"asked to change {row.stage}"
    if step != row.step_for(Action.REVISE):  # an earlier step is redone, and the steps after it
        job.move(step_row(step).runs_in[0], actor=decision.actor.id, action=action, detail=feedback)
        return _Effect(f"{message} ({step_row(step).words} again)", step=step)
    job.record(actor=decision.actor.id, action=action, detail=feedback)
    return _Effect(message, step=step, arguments={"feedback": feedback})


def _refine(job: Job, decision: DecisionRequest, row: StageRow, ctx: StageContext) -> _Effect:
    """A change to the loaded branch: the step that owns it runs again on the revised request,
    the job goes back to where that step runs, and the flow after it ends in a new commit on
    the same branch. The grammar reads it first; what it cannot read goes to the model (as a
    change to the schema, whose step sees the conversation), or is refused without one."""
    feedback = redact_credentials(decision.feedback.strip())
    if not feedback:
        raise IllegalTransition("Say what to change in what was loaded.")
    if decision.version >= MAX_VERSIONS:
        raise IllegalTransition(
            f"The branch has {decision.version} revisions; merge or discard it and start a new "
            "request with everything you want in it."
        )
    in_words = revised_in_words(job, feedback, row)
    arguments: dict[str, str] = {}
    if isinstance(in_words, str):
        if ctx.llm is None:
            return _Effect(in_words, reshow=True, took_effect=False)
        step, arguments = Step.PROPOSE_SCHEMA, {"feedback": feedback}
        message = "Revising the import."
    else:
        step = in_words.step
        job.add_artifact(Stage.UNDERSTANDING, in_words.request, feedback=feedback)
        _latest(job, Stage.UNDERSTANDING).approved_by = decision.actor.id  # who said it
        message = f"Revising the import: {in_words.request.summary}"
    job.conversation.append(f"person: change what was loaded: {feedback}")
    job.refining = feedback
    job.pending = step
    job.pending_by = decision.actor
    job.move(
        step_row(step).runs_in[0],
        actor=decision.actor.id,
        action=f"asked to change {row.stage}",
        detail=feedback,
    )
    return _Effect(
        f"{message} ({step_row(step).words} again; the branch gets a new commit)",
        step=step,
        arguments=arguments,
    )


def _answer(job: Job, decision: DecisionRequest, row: StageRow, step: Step) -> _Effect:
    questions = job.questions().questions
    answers = {q.id: q.default for q in questions}
    if decision.action == Action.ANSWER:
        unknown = set(decision.answers) - set(answers)
        if unknown:
            raise IllegalTransition(f"No question {sorted(unknown)[0]!r} was asked.")
        answers.update({k: v for k, v in decision.answers.items() if v.strip()})
    request = job.request()
    inspection = job.inspection()
    try:
        answered = write_modes.apply_answers(
            request, inspection, pipeline.baseline_schema(request, inspection), answers
        )
    except ValueError as error:
        raise IllegalTransition(str(error)) from error
    job.answers = answers
    _latest(job, row.stage).approved_by = decision.actor.id
    for question in questions:
        job.conversation.append(f"question: {question.text} — answer: {answers[question.id]}")
    if isinstance(answered, write_modes.Stopped):
        job.pending = None
        job.move(Status.CANCELLED, actor=decision.actor.id, action=STOPPED, detail=answered.reason)
        return _Effect(f"Stopped: {answered.reason}. Nothing was written.")
    if answered is not request:  # the write modes chosen: the request takes them
        job.add_artifact(Stage.UNDERSTANDING, answered, feedback="answers")
        _latest(job, Stage.UNDERSTANDING).approved_by = decision.actor.id
    _owe(job, step, decision, row, action=f"answered ({decision.action})")
    return _Effect(f"Thanks, {step_row(step).words}.", step=step)


def _merge_or_discard(job: Job, decision: DecisionRequest, step: Step) -> _Effect:
    job.pending = step
    job.pending_by = decision.actor
    job.record(actor=decision.actor.id, action=f"asked to {decision.action}")
    verb = "Merging" if decision.action == Action.MERGE else "Discarding"
    return _Effect(f"{verb} {job.branch}.", step=step)


def _latest(job: Job, stage: Stage) -> ArtifactVersion:
    latest = job.latest(stage)
    if latest is None:  # _apply checked it; the store's update runs in one transaction
        raise IllegalTransition(f"Job {job.id} has no {stage_row(stage).words}.")
    return latest


def _reshow(port: ConversationPort, job: Job, stage: Stage) -> None:
    latest = job.latest(stage)
    if latest is None:
        return
    if stage == Stage.SCHEMA:
        port.schema(job, job.schema_proposal(), version=latest.version)
    elif stage == Stage.PLAN:
        port.plan(job, job.import_plan(), version=latest.version)
