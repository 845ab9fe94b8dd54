"""Queues per database kind, the Celery settings that make redelivery safe, and which errors
a task retries versus which fail the job."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agents.errors import LlmUnavailable, SourceNotFound
from agents.sources.resolve import SourcePolicy
from dolt.errors import Busy
from workers import steps, tasks
from workers.celery_app import TASK_RETRIES, app
from workers.job import Job, Person, Place
from workers.recording_port import MemoryRecordingPort
from workers.routing import STAGES_QUEUE, Routing, doltlite_queue
from workers.stage_table import Step
from workers.states import Status

JOB = Job(
    id="J1",
    requester=Person(id="U1", name="Ada"),
    place=Place(kind="terminal"),
    text="import x into shop",
    database="shop",
)


def test_database_steps_of_one_doltlite_database_share_one_queue():
    routing = Routing(embedded=True, doltlite_shards=4)
    queues = {routing.queue(step, JOB) for step in ("inspect", "plan", "execute", "merge")}
    assert queues == {doltlite_queue("shop", 4)}
    assert routing.queue("understand", JOB) == STAGES_QUEUE
    assert routing.queue("execute", JOB) in routing.all_queues()
    server = Routing(embedded=False)
    assert server.queue("execute", JOB) == "server"


def test_late_acks_prefetch_one_and_a_visibility_timeout_above_the_longest_task():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert set(tasks.TASKS) == set(Step)  # every step of the table has its task
    for task in (*tasks.TASKS.values(), tasks.decide_task):
        assert task.name.startswith("workers.")
        assert app.tasks[task.name].name == task.name  # registered with the app
        # retried on steps.TRANSIENT by the task itself, then given up (workers.tasks)
        assert task.max_retries == TASK_RETRIES and task.acks_late


class _Store:
    def __init__(self, job):
        self.job = job

    def get(self, job_id):
        return self.job

    def update(self, job_id, change):
        return self.job, change(self.job)

    def lock(self, job_id):
        import contextlib

        return contextlib.nullcontext()

    def cancelled(self, job_id):
        return False


class _Context:
    heartbeats = None
    model_problem = None
    policy = SourcePolicy(roots=(Path("/srv/data"),))

    def __init__(self):
        self.store = _Store(JOB.model_copy(deep=True))
        self.port = MemoryRecordingPort()

    def port_for(self, job):
        return self.port


@pytest.mark.parametrize("transient", [Busy("database is locked"), LlmUnavailable("429")])
def test_transient_errors_are_raised_for_a_retry_and_leave_the_job_open(monkeypatch, transient):
    def flaky(ctx, job_id):
        raise transient

    monkeypatch.setitem(steps.STEP_FUNCTIONS, Step.INSPECT, flaky)
    ctx = _Context()
    with pytest.raises(type(transient)):
        steps.run_step(ctx, "inspect", "J1")
    assert ctx.store.job.status == Status.RECEIVED and ctx.port.events == []


def test_other_errors_fail_the_job_with_their_message(monkeypatch):
    def missing(ctx, job_id):
        raise SourceNotFound("x.csv does not exist under /data")

    monkeypatch.setitem(steps.STEP_FUNCTIONS, Step.INSPECT, missing)
    ctx = _Context()
    steps.run_step(ctx, "inspect", "J1")
    assert ctx.store.job.status == Status.FAILED
    assert ctx.store.job.error == "x.csv does not exist under /data"
    assert ctx.port.kinds() == ["finished"]


def test_a_failure_is_kept_in_plain_words_and_the_log_has_it_whole(monkeypatch, caplog):
    raw = 'Reading /srv/data/families/people.csv: Binder Error: Referenced column "agee" not found'

    def binder(ctx, job_id):
        raise SourceNotFound(raw)

    monkeypatch.setitem(steps.STEP_FUNCTIONS, Step.INSPECT, binder)
    ctx = _Context()
    with caplog.at_level(logging.INFO, logger="workers.steps"):
        steps.run_step(ctx, "inspect", "J1")
    said = (
        "Reading families/people.csv: A name in the import does not match the data: "
        'there is no column "agee"'
    )
    assert ctx.store.job.error == said and ctx.store.job.audit[-1].detail == said
    assert raw in caplog.text
