"""Thin, named Celery tasks: take ids, re-read the job, call one plain function.

Retried only on named transient errors (database busy or gone, the model unavailable, the job
locked by another delivery), with exponential backoff and jitter, `TASK_RETRIES` times; then
the step gives up and the job fails, saying why and what to do (`workers.giving_up`). Anything
else fails the job with its message at once (see `workers.steps.run_step`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import Task  # celery ships no types: Task is Any to the checker
from celery.utils.time import get_exponential_backoff_interval

from workers import giving_up, worker_context
from workers.celery_app import RETRY_BACKOFF_MAX, TASK_RETRIES, app
from workers.context import StageContext
from workers.decisions import DecisionRequest, decide
from workers.errors import JobBusy, JobError
from workers.heartbeats import this_worker
from workers.job import Person
from workers.stage_table import DECIDE_TASK, STEPS, Step, StepRow
from workers.steps import TRANSIENT, fail, run_step

log = logging.getLogger(__name__)

RETRYING = {"bind": True, "max_retries": TASK_RETRIES, "acks_late": True}


def _pause(retries: int) -> float:
    return get_exponential_backoff_interval(
        factor=2, retries=retries, maximum=RETRY_BACKOFF_MAX, full_jitter=True
    )


def _retried(
    task: Task, error: BaseException, *, pausing: Callable[[float], None] | None = None
) -> None:
    """Try again later, or raise nothing when the tries are used up. `pausing` hears how
    long the pause is first."""
    if task.request.retries < task.max_retries:
        countdown = _pause(task.request.retries)
        if pausing is not None:
            pausing(countdown)
        raise task.retry(exc=error, countdown=countdown) from None


def _beat_through_pause(context: StageContext, step: Step, job_id: str, arguments) -> Callable:
    """A step waiting for its next try is alive: its heartbeat is written ahead, so the
    watchdog leaves it alone until the try is due (and notices if no worker takes it)."""

    def pausing(countdown: float) -> None:
        if context.heartbeats is None:
            return
        with contextlib.suppress(redis.RedisError):
            context.heartbeats.beat(
                job_id,
                step=step,
                worker=this_worker(),
                started=time.time(),
                arguments=arguments,
                ahead_seconds=countdown,
            )

    return pausing


def _give_up(context: StageContext, step: Step, job_id: str, error: BaseException, tries: int):
    if isinstance(error, JobBusy):  # another delivery holds the job: it does the step
        log.info("job %s is busy elsewhere; this delivery of %s ends", job_id, step)
        return
    if isinstance(error, redis.ConnectionError):  # the job store itself is gone: say it here
        log.error("job %s: the job store did not answer for %s: %s", job_id, step, error)
        return
    reason = giving_up.retries_used_up(job_id, step, error, tries=tries)
    fail(context, job_id, reason, step=step)


def _say_waiting(context: StageContext, step: Step, job_id: str, error: BaseException) -> None:
    """The first transient failure of a step is told where the job lives: it is waiting."""
    with contextlib.suppress(Exception):  # telling must never keep the step from its retry
        job = context.store.get(job_id)
        context.port_for(job).notice(job, giving_up.waiting(step, error, tries=TASK_RETRIES + 1))


def _task(row: StepRow) -> Task:
    """The Celery task of one step of the stage table: named `workers.<step>`."""

    def run(self: Task, job_id: str, **arguments: str) -> None:
        context, _ = worker_context.current()
        try:
            run_step(context, row.step, job_id, reraise=False, **arguments)
        except TRANSIENT as error:
            busy = isinstance(error, JobBusy)  # the holder's own heartbeat says it is alive
            pausing = None if busy else _beat_through_pause(context, row.step, job_id, arguments)
            if not busy and self.request.retries == 0 and self.max_retries:
                _say_waiting(context, row.step, job_id, error)
            _retried(self, error, pausing=pausing)
            _give_up(context, row.step, job_id, error, tries=self.request.retries + 1)

    run.__name__ = run.__qualname__ = row.step.value
    return app.task(name=row.task_name, **RETRYING)(run)


TASKS = {row.step: _task(row) for row in STEPS}
"""One task per step, made from the table: a new step needs no task written here."""


@app.task(name=DECIDE_TASK, **RETRYING)
def decide_task(self: Task, decision: dict[str, Any], key: str | None = None) -> None:
    """A person's decision; a refusal (outdated version, not allowed) is told to the thread."""
    context, permissions = worker_context.current()
    request = DecisionRequest(**{**decision, "actor": Person(**decision["actor"])})
    try:
        decide(context, request, permissions=permissions, key=key)
    except TRANSIENT as error:
        _retried(self, error)
        raise
    except JobError as refused:
        job = context.store.get(request.job_id)
        context.port_for(job).notice(job, str(refused))
