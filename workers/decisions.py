"""What people decide about a job: confirm, answer, approve, change, run, merge, discard, cancel.

`decide` applies a decision in one optimistic update (so two clicks, or two surfaces, can never
both take effect), then schedules the step it calls for. A decision about a replaced version is
refused; a repeated decision reports what already happened and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agents.artifacts import ImportPlan, SchemaProposal
from workers.context import StageContext
from workers.errors import IllegalTransition
from workers.job import STAGE_WORDS, Job, Person, Stage
from workers.permissions import Permissions
from workers.states import FINAL, Status

Action = Literal["approve", "revise", "cancel", "answer", "skip", "merge", "discard"]
MAX_VERSIONS = 6
DAY = 24 * 3600
NEEDS_MODEL = (
    "Changes in your own words need a language model (set IMPORTBOT_LLM); without one, "
    "approve, cancel, or start a new request."
)


@dataclass(frozen=True)
class DecisionRequest:
    job: str
    stage: Stage
    version: int
    action: Action
    actor: Person
    feedback: str = ""
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionResult:
    message: str
    took_effect: bool
    job: Job


@dataclass(frozen=True)
class _Effect:
    message: str
    step: str | None = None
    arguments: dict[str, str] = field(default_factory=dict)
    reshow: bool = False
    took_effect: bool = True


# The status in which each stage's artifact waits for a decision, and the step a change re-runs.
WAITING: dict[str, Status] = {  # stage → the status in which its artifact awaits a decision
    "understanding": Status.AWAITING_CONFIRMATION,
    "questions": Status.AWAITING_ANSWERS,
    "schema": Status.AWAITING_SCHEMA_APPROVAL,
    "plan": Status.AWAITING_PLAN_APPROVAL,
    "review": Status.AWAITING_REVIEW,
}
_REMAKE = {"understanding": "understand", "schema": "propose_schema", "plan": "plan"}
_NEXT_ON_APPROVAL = {"understanding": "inspect", "schema": "plan", "plan": "execute"}


def decide(
    ctx: StageContext,
    decision: DecisionRequest,
    *,
    permissions: Permissions | None = None,
    key: str | None = None,
) -> DecisionResult:
    """Apply a person's decision. `key` (a Slack action id, say) makes a redelivery a no-op."""
    job = ctx.store.get(decision.job)
    (permissions or Permissions()).check(decision.action, decision.actor, job)
    if key is not None and not ctx.store.claim(f"decision:{key}", ttl_seconds=DAY):
        return DecisionResult("Already done.", False, job)
    try:
        job, effect = ctx.store.update(decision.job, lambda job: _apply(job, decision, ctx))
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
        port.finished(job)
    return DecisionResult(effect.message, effect.took_effect, job)


def _apply(job: Job, decision: DecisionRequest, ctx: StageContext) -> _Effect:
    who = decision.actor
    if decision.action == "cancel":
        return _cancel(job, who)
    words = STAGE_WORDS[decision.stage]
    if job.latest(decision.stage) is None:
        raise IllegalTransition(
            f"Job {job.id} is {job.status.value.replace('_', ' ')}; it has no {words} to "
            "decide about yet."
        )
    latest = job.check_version(decision.stage, decision.version)
    if latest.approved_by is not None:
        return _Effect(
            f"The {words} was already approved by {latest.approved_by}.", took_effect=False
        )
    if job.pending is not None and job.status == WAITING[decision.stage]:
        return _Effect(
            f"Already working on it ({job.pending.replace('_', ' ')}).", took_effect=False
        )
    if job.status != WAITING[decision.stage]:
        raise IllegalTransition(
            f"Job {job.id} is {job.status.value.replace('_', ' ')}; it is not waiting for a "
            f"decision about its {words}."
        )
    if decision.stage == "questions":
        return _answer(job, decision)
    if decision.stage == "review":
        return _merge_or_discard(job, decision)
    if decision.action == "approve":
        return _approve(job, decision)
    if decision.action == "revise":
        return _revise(job, decision, ctx)
    raise IllegalTransition(f"'{decision.action}' is not a decision about the {words}.")


def _cancel(job: Job, who: Person) -> _Effect:
    if job.status in FINAL:
        return _Effect(f"Job {job.id} is already {job.status.value}.", took_effect=False)
    if job.status in (Status.RUNNING, Status.AWAITING_REVIEW):
        raise IllegalTransition(
            f"Job {job.id} is {job.status.value.replace('_', ' ')}; wait for the review and "
            "discard it instead."
        )
    job.pending = None
    job.move(Status.CANCELLED, actor=who.id, action="cancelled")
    return _Effect("Cancelled; nothing was written.")


def _approve(job: Job, decision: DecisionRequest) -> _Effect:
    stage = decision.stage
    job.latest(stage).approved_by = decision.actor.id
    job.conversation.append(f"person: approved the {STAGE_WORDS[stage]}")
    step = _NEXT_ON_APPROVAL[stage]
    job.pending = step
    job.pending_by = decision.actor
    action = f"approved {stage} v{decision.version}"
    if stage == "understanding":
        job.move(Status.INSPECTING, actor=decision.actor.id, action=action)
    elif stage == "plan":
        job.move(Status.RUNNING, actor=decision.actor.id, action=action)
    else:
        job.record(actor=decision.actor.id, action=action)
    return _Effect(f"Approved by {decision.actor.name}.", step=step)


def _revise(job: Job, decision: DecisionRequest, ctx: StageContext) -> _Effect:
    stage = decision.stage
    words = STAGE_WORDS[stage]
    feedback = decision.feedback.strip()
    if not feedback:
        raise IllegalTransition(f"Say what to change in the {words}.")
    if ctx.llm is None and stage != "understanding":
        return _Effect(NEEDS_MODEL, reshow=True, took_effect=False)
    if decision.version >= MAX_VERSIONS:
        raise IllegalTransition(
            f"The {words} has been revised {decision.version - 1} times; cancel and start a "
            "new request with everything you want in it."
        )
    job.conversation.append(f"person: change the {words}: {feedback}")
    job.pending = _REMAKE[stage]
    job.pending_by = decision.actor
    job.record(actor=decision.actor.id, action=f"asked to change {stage}", detail=feedback)
    return _Effect(f"Revising the {words}.", step=_REMAKE[stage], arguments={"feedback": feedback})


def _answer(job: Job, decision: DecisionRequest) -> _Effect:
    questions = job.latest("questions").artifact["questions"]
    answers = {q["id"]: q["default"] for q in questions}
    if decision.action == "answer":
        unknown = set(decision.answers) - set(answers)
        if unknown:
            raise IllegalTransition(f"No question {sorted(unknown)[0]!r} was asked.")
        answers.update({k: v for k, v in decision.answers.items() if v.strip()})
    elif decision.action != "skip":
        raise IllegalTransition(f"'{decision.action}' is not an answer to the questions.")
    job.answers = answers
    job.latest("questions").approved_by = decision.actor.id
    for question in questions:
        job.conversation.append(f"question: {question['text']} — answer: {answers[question['id']]}")
    job.pending = "propose_schema"
    job.pending_by = decision.actor
    job.move(Status.INSPECTING, actor=decision.actor.id, action=f"answered ({decision.action})")
    return _Effect("Thanks, proposing the schema.", step="propose_schema")


def _merge_or_discard(job: Job, decision: DecisionRequest) -> _Effect:
    if decision.action not in ("merge", "discard"):
        raise IllegalTransition(f"'{decision.action}' is not a decision about the review.")
    job.pending = decision.action
    job.pending_by = decision.actor
    job.record(actor=decision.actor.id, action=f"asked to {decision.action}")
    verb = "Merging" if decision.action == "merge" else "Discarding"
    return _Effect(f"{verb} {job.branch}.", step=decision.action)


def _reshow(port, job: Job, stage: str) -> None:
    latest = job.latest(stage)
    if stage == "schema":
        port.schema(job, SchemaProposal.model_validate(latest.artifact), version=latest.version)
    elif stage == "plan":
        port.plan(job, ImportPlan.model_validate(latest.artifact), version=latest.version)
