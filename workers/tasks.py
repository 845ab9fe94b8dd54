"""Thin, named Celery tasks: take ids, re-read the job, call one plain function.

Retried only on named transient errors (database busy or gone, the model unavailable, the job
locked by another delivery), with exponential backoff and jitter; anything else fails the job
with its message (see `workers.steps.run_step`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task  # celery ships no types: Task is Any to the checker

from workers import worker_context
from workers.celery_app import app
from workers.decisions import DecisionRequest, decide
from workers.errors import JobError
from workers.job import Person
from workers.stage_table import DECIDE_TASK, STEPS, StepRow
from workers.steps import TRANSIENT, run_step

log = logging.getLogger(__name__)

RETRYING = {
    "bind": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 12,
    "acks_late": True,
}


def _task(row: StepRow) -> Task:
    """The Celery task of one step of the stage table: named `workers.<step>`."""

    def run(self: Task, job_id: str, **arguments: str) -> None:
        context, _ = worker_context.current()
        run_step(context, row.step, job_id, reraise=False, **arguments)

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
    except JobError as refused:
        job = context.store.get(request.job_id)
        context.port_for(job).notice(job, str(refused))
