"""Thin, named Celery tasks: take ids, re-read the job, call one plain function.

Retried only on named transient errors (database busy or gone, the model unavailable, the job
locked by another delivery), with exponential backoff and jitter; anything else fails the job
with its message (see `workers.steps.run_step`).
"""

from __future__ import annotations

import logging

from workers import worker_context
from workers.celery_app import app
from workers.decisions import DecisionRequest, decide
from workers.errors import JobError
from workers.job import Person
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


def _step(step: str, job_id: str, **arguments: str) -> None:
    context, _ = worker_context.current()
    run_step(context, step, job_id, **arguments)


@app.task(name="workers.understand", **RETRYING)
def understand(self, job_id: str, feedback: str = "") -> None:
    _step("understand", job_id, feedback=feedback)


@app.task(name="workers.inspect", **RETRYING)
def inspect(self, job_id: str) -> None:
    _step("inspect", job_id)


@app.task(name="workers.propose_schema", **RETRYING)
def propose_schema(self, job_id: str, feedback: str = "") -> None:
    _step("propose_schema", job_id, feedback=feedback)


@app.task(name="workers.plan", **RETRYING)
def plan(self, job_id: str, feedback: str = "") -> None:
    _step("plan", job_id, feedback=feedback)


@app.task(name="workers.execute", **RETRYING)
def execute(self, job_id: str) -> None:
    _step("execute", job_id)


@app.task(name="workers.merge", **RETRYING)
def merge(self, job_id: str) -> None:
    _step("merge", job_id)


@app.task(name="workers.discard", **RETRYING)
def discard(self, job_id: str) -> None:
    _step("discard", job_id)


@app.task(name="workers.decide", **RETRYING)
def decide_task(self, decision: dict, key: str | None = None) -> None:
    """A person's decision; a refusal (outdated version, not allowed) is told to the thread."""
    context, permissions = worker_context.current()
    request = DecisionRequest(**{**decision, "actor": Person(**decision["actor"])})
    try:
        decide(context, request, permissions=permissions, key=key)
    except JobError as refused:
        job = context.store.get(request.job)
        context.port_for(job).notice(job, str(refused))
