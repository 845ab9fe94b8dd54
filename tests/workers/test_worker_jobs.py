"""Jobs driven through real worker processes by task calls, as the Slack bot drives them."""

from __future__ import annotations

from tests.fakes.commits import data_tables
from tests.workers.conftest import wait_for_status
from workers.decisions import DecisionRequest, decide
from workers.job import Person, Place
from workers.states import Status
from workers.submit import submit_job

ADA = Person(id="U_ADA", name="Ada Lovelace", email="ada@example.com")
REQUEST = "Import families/people.csv into database families table people where age >= 21"


def _decide(ctx, job, stage, action, **kw):
    return decide(ctx, DecisionRequest(job.id, stage, job.version(stage), action, ADA, **kw))


def test_a_job_goes_from_request_to_merge_through_the_workers(workers, bot_side):
    workers.start()
    store = bot_side.store
    job, created = submit_job(
        store=bot_side.store,
        scheduler=bot_side.scheduler,
        text=REQUEST,
        requester=ADA,
        place=Place(kind="recording", channel="C1", thread_ts="1.1"),
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


def test_every_state_including_questions_with_a_model(workers, bot_side, place):
    """A free-text request read by a (scripted, OpenAI-compatible) model that asks a question."""
    from tests.fakes.openai_server import ScriptedOpenAI
    from tests.fakes.scripted_import import grown_ups_script

    script = grown_ups_script(data_root=place / "data", scratch=place / "scratch")
    with ScriptedOpenAI(script) as model:
        workers.start(**model.client_env)
        store = bot_side.store
        job, _ = submit_job(
            store=bot_side.store,
            scheduler=bot_side.scheduler,
            text="bring in the grown-ups from the people file",
            requester=ADA,
            place=Place(kind="recording"),
        )
        job = wait_for_status(store, job.id, Status.AWAITING_CONFIRMATION, workers=workers)
        _decide(bot_side, job, "understanding", "approve")
        job = wait_for_status(store, job.id, Status.AWAITING_ANSWERS, workers=workers)
        _decide(bot_side, job, "questions", "answer", answers={"people_key": "id"})
        job = wait_for_status(store, job.id, Status.AWAITING_SCHEMA_APPROVAL, workers=workers)
        _decide(bot_side, job, "schema", "approve")
        job = wait_for_status(store, job.id, Status.AWAITING_PLAN_APPROVAL, workers=workers)
        _decide(bot_side, job, "plan", "approve")
        job = wait_for_status(store, job.id, Status.AWAITING_REVIEW, workers=workers)
        _decide(bot_side, job, "review", "discard")
        job = wait_for_status(store, job.id, Status.DISCARDED, workers=workers)
        model.assert_exhausted()
    visited = [e.status_to for e in job.audit if e.status_to]
    assert visited == [
        Status.AWAITING_CONFIRMATION,
        Status.INSPECTING,
        Status.AWAITING_ANSWERS,
        Status.INSPECTING,
        Status.AWAITING_SCHEMA_APPROVAL,
        Status.AWAITING_PLAN_APPROVAL,
        Status.RUNNING,
        Status.AWAITING_REVIEW,
        Status.DISCARDED,
    ]
    assert [u["stage"] for u in job.llm_usage] == ["understand", "ask", "propose_schema", "plan"]
    assert job.answers == {"people_key": "id"}
    database = bot_side.server.database(name="families")
    assert job.branch not in [b.name for b in database.list_branches()]


def _to_plan_approval(bot_side, workers, text=REQUEST):
    job, _ = submit_job(
        store=bot_side.store,
        scheduler=bot_side.scheduler,
        text=text,
        requester=ADA,
        place=Place(kind="recording"),
    )
    store = bot_side.store
    job = wait_for_status(store, job.id, Status.AWAITING_CONFIRMATION, workers=workers)
    _decide(bot_side, job, "understanding", "approve")
    job = wait_for_status(store, job.id, Status.AWAITING_SCHEMA_APPROVAL, workers=workers)
    _decide(bot_side, job, "schema", "approve")
    return wait_for_status(store, job.id, Status.AWAITING_PLAN_APPROVAL, workers=workers)


def _loads(job):
    return [e for e in job.audit if e.action == "loaded"]


def test_the_same_task_delivered_twice_has_one_effect(workers, bot_side):
    workers.start()
    job = _to_plan_approval(bot_side, workers)
    _decide(bot_side, job, "plan", "approve")  # schedules workers.execute
    bot_side.scheduler.schedule("execute", job)  # … and the broker delivers it again
    bot_side.scheduler.schedule("execute", job)
    job = wait_for_status(bot_side.store, job.id, Status.AWAITING_REVIEW, workers=workers)
    import time

    time.sleep(3)  # let the repeated deliveries run: they must find nothing left to do
    job = bot_side.store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW
    assert len(_loads(job)) == 1 and len(job.artifacts["review"]) == 1
    database = bot_side.server.database(name="families")
    assert database.count_rows(table="people", ref=job.branch) == 39
    (table,) = data_tables(database.diff_summary(branch=job.branch).tables)
    assert (table.rows_added, table.rows_deleted) == (39, 0)


def test_two_concurrent_run_decisions_make_one_import(workers, bot_side):
    workers.start()
    workers.start("--queues", "stages")  # a second process takes decisions in parallel
    job = _to_plan_approval(bot_side, workers)
    decision = {
        "job_id": job.id,
        "stage": "plan",
        "version": job.version("plan"),
        "action": "approve",
        "actor": ADA.model_dump(),
    }
    bot_side.scheduler.decide(decision, key="click-1")
    bot_side.scheduler.decide(decision, key="click-2")
    job = wait_for_status(bot_side.store, job.id, Status.AWAITING_REVIEW, workers=workers)
    import time

    time.sleep(2)
    job = bot_side.store.get(job.id)
    approvals = [e for e in job.audit if e.action.startswith("approved plan")]
    assert len(approvals) == 1 and len(_loads(job)) == 1
    assert (
        bot_side.server.database(name="families").count_rows(table="people", ref=job.branch) == 39
    )


def test_a_worker_killed_during_execute_is_redelivered_and_the_import_is_exact(
    workers, bot_side, place
):
    """SIGKILL the whole worker mid-load: the task comes back (acks_late, visibility timeout),
    a new worker resets the branch and loads every row once; main is untouched until merge."""
    import time

    rows = 600_000
    with (place / "data" / "numbers.csv").open("w") as f:
        f.write("id,label\n")
        f.writelines(f"{i},row {i}\n" for i in range(rows))
    first = workers.start()
    job = _to_plan_approval(
        bot_side, workers, text="Import numbers.csv into database big table numbers"
    )
    _decide(bot_side, job, "plan", "approve")
    events = bot_side.port_for(job)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = [e for e in events.events(job.id) if e["kind"] == "progress"]
        if progress and 0 < progress[-1]["done"] < rows:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"no progress seen\n{workers.logs()[-3000:]}")
    workers.kill(first)
    assert bot_side.store.get(job.id).status == Status.RUNNING
    database = bot_side.server.database(name="big")
    assert "numbers" not in database.list_tables()  # main untouched

    workers.start()
    job = wait_for_status(
        bot_side.store, job.id, Status.AWAITING_REVIEW, workers=workers, timeout=180
    )
    assert database.count_rows(table="numbers", ref=job.branch) == rows
    (table,) = data_tables(database.diff_summary(branch=job.branch).tables)
    assert (table.rows_added, table.rows_modified, table.rows_deleted) == (rows, 0, 0)
    assert "numbers" not in database.list_tables()
    _decide(bot_side, job, "review", "merge")
    wait_for_status(bot_side.store, job.id, Status.MERGED, workers=workers)
    assert database.count_rows(table="numbers") == rows
