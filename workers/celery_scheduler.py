"""Steps scheduled as Celery tasks on the queue their database needs."""

from __future__ import annotations

from celery import Celery

from workers.job import Job
from workers.routing import STAGES_QUEUE, Routing
from workers.stage_table import DECIDE_TASK, Step, step_row


class CeleryScheduler:
    def __init__(self, app: Celery, routing: Routing) -> None:
        self.app = app
        self.routing = routing

    def schedule(self, step: Step, job: Job, **arguments: str) -> None:
        self.app.send_task(
            step_row(step).task_name,
            args=[job.id],
            kwargs=arguments,
            queue=self.routing.queue(step, job),
        )

    def decide(self, decision: dict, *, key: str | None = None) -> None:
        """Queue a person's decision (the surface answered them already)."""
        self.app.send_task(DECIDE_TASK, args=[decision], kwargs={"key": key}, queue=STAGES_QUEUE)
