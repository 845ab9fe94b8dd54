"""Starting the undo of a merged import: a new job, linked to the merged one, whose only step
(`Step.REVERT`) makes the branch that reverts the merge and its review; it is then merged or
discarded like any import. Refused, in words, for a job that was not merged or is reverted
already (by an open or merged revert job)."""

from __future__ import annotations

from collections.abc import Callable

from workers.context import StageContext
from workers.errors import IllegalTransition, JobNotFound
from workers.job import Job, Person, Place
from workers.stage_table import Step
from workers.states import OPEN, Status
from workers.submit import new_job_id


def revert_text(job_id: str) -> str:
    """The request a revert job stands for."""
    return f"Revert import {job_id}"


def start_revert(
    ctx: StageContext,
    job_id: str,
    *,
    by: Person,
    place: Place | None = None,
    new_id: Callable[[], str] = new_job_id,
) -> Job:
    """The new revert job (its step scheduled), talking where the merged job did unless told
    `place`; the merged job names it in `reverted_by` first, so two clicks start one."""
    revert_id = new_id()

    def claim(job: Job) -> None:
        refuse_revert(ctx, job)
        job.reverted_by = revert_id
        job.record(actor=by.id, action="asked to revert", detail=f"job {revert_id}")

    merged, _ = ctx.store.update(job_id, claim)
    assert merged.merge_commit is not None  # refuse_revert checked it
    revert = Job(
        id=revert_id,
        requester=by,
        place=place or merged.place,
        text=revert_text(merged.id),
        status=Status.RUNNING,
        pending=Step.REVERT,
        pending_by=by,
        database=merged.database,
        reverts=merged.id,
        conversation=[f"person: {revert_text(merged.id)}"],
    )
    revert.record(actor=by.id, action="requested", detail=revert.text)
    revert = ctx.store.create(revert)
    ctx.scheduler.schedule(Step.REVERT, revert)
    return revert


def refuse_revert(ctx: StageContext, job: Job) -> None:
    """Raise `IllegalTransition` saying why `job` cannot be reverted now; quiet when it can."""
    if job.status != Status.MERGED or not job.merge_commit:
        raise IllegalTransition(f"Job {job.id} was not merged; nothing to revert.")
    if job.reverted_by is None:
        return
    try:
        revert = ctx.store.get(job.reverted_by)
    except JobNotFound:
        return  # its creation did not finish: the claim is free again
    if revert.status == Status.MERGED:
        raise IllegalTransition(
            f"Job {job.id} was already reverted by job {revert.id} "
            f"(merge commit {(revert.merge_commit or '')[:12]})."
        )
    if revert.status in OPEN:
        raise IllegalTransition(
            f"Job {job.id} is being reverted by job {revert.id} ({revert.status.words}); "
            f"merge or discard that one."
        )
