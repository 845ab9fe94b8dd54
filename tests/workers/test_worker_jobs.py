"""Jobs driven through real worker processes by task calls, as the Slack bot drives them."""

from __future__ import annotations

from workers.decisions import DecisionRequest, decide
from workers.job import Person, Place
from workers.states import Status
from workers.submit import submit_job

from tests.workers.conftest import wait_for_status

ADA = Person(id="U_ADA", name="Ada Lovelace", email="ada@example.com")
REQUEST = "Import families/people.csv into database families table people where age >= 21"


def _decide(ctx, job, stage, action, **kw):
    return decide(ctx, DecisionRequest(job.id, stage, job.version(stage), action, ADA, **kw))


def test_a_job_goes_from_request_to_merge_through_the_workers(workers, bot_side):
    workers.start()
    store = bot_side.store
    job, created = submit_job(
        bot_side, text=REQUEST, requester=ADA, place=Place(kind="recording", channel="C1",
                                                           thread_ts="1.1")
    )
    assert created
    job = wait_for_status(store, job.id, Status.AWAITING_CONFIRMATION, workers=workers)
    _decide(bot_side, job, "understanding", "approve")
    job = wait_for_status(store, job.id, Status.AWAITING_SCHEMA_APPROVAL, workers=workers)
    _decide(bot_side, job, "schema", "approve")
    job = wait_for_status(store, job.id, Status.AWAITING_PLAN_APPROVAL, workers=workers)
    _decide(bot_side, job, "plan", "approve")
    job = wait_for_status(store, job.id, Status.AWAITING_REVIEW, workers=workers)
    database = bot_side.server.database(name="families")
    assert database.count_rows(table="people", ref=job.branch) == 39
    assert "people" not in database.list_tables()  # main untouched until merge
    _decide(bot_side, job, "review", "merge")
    job = wait_for_status(store, job.id, Status.MERGED, workers=workers)
    assert database.count_rows(table="people") == 39
    moves = [(e.status_from, e.status_to) for e in job.audit if e.status_to]
    assert [to for _, to in moves] == [
        Status.AWAITING_CONFIRMATION,
        Status.INSPECTING,
        Status.AWAITING_SCHEMA_APPROVAL,
        Status.AWAITING_PLAN_APPROVAL,
        Status.RUNNING,
        Status.AWAITING_REVIEW,
        Status.MERGED,
    ]
