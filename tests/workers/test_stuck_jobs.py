"""No job waits silently forever (issue 13, point 1), with real worker processes and Redis:
a step that gives up fails the job with a message, a worker killed mid-load is noticed by the
watchdog of another worker and its step runs again, and a running load stops when cancelled.

The limits are made small through the environment, as an operator would set them."""

from __future__ import annotations

import time

import pytest

from tests.fakes.commits import data_tables
from tests.fakes.openai_server import Delay, HttpError, ScriptedOpenAI
from tests.workers.conftest import wait_for_status
from tests.workers.test_worker_jobs import ADA, _decide, _to_plan_approval
from workers.health import WATCHDOG_HEARTBEAT_KEY
from workers.heartbeats import RedisHeartbeats, heartbeat_key
from workers.job import Place
from workers.states import Status
from workers.submit import submit_job
from workers.watchdog import RESTARTED

FREE_TEXT = "bring in the grown-ups from the people file"
IMPATIENT = {  # the model asked briefly, the step retried once, quickly
    "IMPORTBOT_LLM_ATTEMPTS": "2",
    "IMPORTBOT_LLM_TIMEOUT": "1",
    "IMPORTBOT_TASK_RETRIES": "1",
    "IMPORTBOT_RETRY_BACKOFF_MAX": "1",
}
WATCHFUL = {  # beats every second, stale after 3 s, a watchdog round every 2 s
    "IMPORTBOT_HEARTBEAT_EVERY": "1",
    "IMPORTBOT_HEARTBEAT_STALE": "3",
    "IMPORTBOT_WATCHDOG_EVERY": "2",
    # Celery's own redelivery of the killed worker's task would take an hour: only the
    # watchdog can bring the step back within the test's time
    "IMPORTBOT_VISIBILITY_MARGIN": "3600",
}


def _submit(bot_side, text=FREE_TEXT):
    job, _ = submit_job(
        store=bot_side.store,
        scheduler=bot_side.scheduler,
        text=text,
        requester=ADA,
        place=Place(kind="recording"),
    )
    return job


def _finished(bot_side, job_id):
    return [e for e in bot_side.port_for(None).events(job_id) if e["kind"] == "finished"]


@pytest.mark.parametrize(
    "answer",
    [HttpError(503), Delay(3600, HttpError(503))],
    ids=["503 forever", "never answers"],
)
def test_a_model_that_does_not_answer_fails_the_job_with_a_message(workers, bot_side, answer):
    with ScriptedOpenAI([answer] * 20) as model:
        workers.start(**model.client_env, **IMPATIENT)
        job = _submit(bot_side)
        started = time.monotonic()
        job = wait_for_status(bot_side.store, job.id, Status.FAILED, workers=workers, timeout=60)
        took = time.monotonic() - started
    # 2 tries × 2 attempts, each at most 1 s (plus backoff): well under the limit
    assert took < 30, took
    assert "Gave up after 2 tries" in job.error
    assert "language model did not answer" in job.error
    assert f"importbot retry {job.id}" in job.error
    assert job.failed_step == "understand"
    events = bot_side.port_for(None).events(job.id)
    (waiting,) = [e for e in events if e["kind"] == "notice"]  # the first failure is told
    assert waiting["text"].startswith("Still reading the request")
    (told,) = _finished(bot_side, job.id)  # and the end, where the job lives
    assert told["error"] == job.error and told["status"] == Status.FAILED


def test_a_worker_without_its_api_key_fails_the_job_at_once_saying_so(workers, bot_side):
    workers.start(IMPORTBOT_LLM="openai", OPENAI_API_KEY="")
    job = _submit(bot_side)
    job = wait_for_status(bot_side.store, job.id, Status.FAILED, workers=workers, timeout=30)
    assert "needs OPENAI_API_KEY" in job.error and "operator" in job.error
    assert _finished(bot_side, job.id)


def _big_file(place, rows):
    with (place / "data" / "numbers.csv").open("w") as f:
        f.write("id,label\n")
        f.writelines(f"{i},row {i}\n" for i in range(rows))


def _wait_for_progress(bot_side, job, rows, workers):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = [e for e in bot_side.port_for(job).events(job.id) if e["kind"] == "progress"]
        if progress and 0 < progress[-1]["done"] < rows:
            return
        time.sleep(0.05)
    raise AssertionError(f"no progress seen\n{workers.logs()[-3000:]}")


def test_a_worker_killed_mid_load_is_run_again_by_the_watchdog_and_the_branch_is_exact(
    workers, bot_side, place
):
    rows = 600_000
    _big_file(place, rows)
    first = workers.start(**WATCHFUL)
    job = _to_plan_approval(
        bot_side, workers, text="Import numbers.csv into database big table numbers"
    )
    _decide(bot_side, job, "plan", "approve")
    _wait_for_progress(bot_side, job, rows, workers)
    heartbeats = RedisHeartbeats(bot_side.store.redis)
    beat = heartbeats.get(job.id)
    assert beat is not None and beat.step == "execute"
    workers.start(**WATCHFUL)  # the other worker, running
    workers.kill(first)
    killed = time.monotonic()

    job = wait_for_status(
        bot_side.store, job.id, Status.AWAITING_REVIEW, workers=workers, timeout=120
    )
    took = time.monotonic() - killed
    restarts = [e for e in job.audit if e.action == RESTARTED]
    assert len(restarts) == 1 and "execute" in restarts[0].detail
    assert took < 90, took  # the watchdog's seconds, not the visibility timeout's hour
    database = bot_side.server.database(name="big")
    assert database.count_rows(table="numbers", ref=job.branch) == rows
    (table,) = data_tables(database.diff_summary(branch=job.branch).tables)
    assert (table.rows_added, table.rows_modified, table.rows_deleted) == (rows, 0, 0)
    assert "numbers" not in database.list_tables()  # main untouched
    assert heartbeats.get(job.id) is None  # the step ended: its heartbeat went with it
    assert bot_side.store.redis.get(WATCHDOG_HEARTBEAT_KEY) is not None


def test_a_step_whose_worker_keeps_stopping_fails_the_job_with_the_reason(workers, bot_side, place):
    rows = 600_000
    _big_file(place, rows)
    first = workers.start(**WATCHFUL, IMPORTBOT_STEP_RESTARTS="0")
    job = _to_plan_approval(
        bot_side, workers, text="Import numbers.csv into database big table numbers"
    )
    _decide(bot_side, job, "plan", "approve")
    _wait_for_progress(bot_side, job, rows, workers)
    workers.start(**WATCHFUL, IMPORTBOT_STEP_RESTARTS="0")
    workers.kill(first)
    job = wait_for_status(bot_side.store, job.id, Status.FAILED, workers=workers, timeout=60)
    assert "stopped once without finishing" in job.error
    assert job.failed_step == "execute"
    assert _finished(bot_side, job.id)


def test_cancel_during_a_running_load_stops_it_within_seconds(workers, bot_side, place):
    rows = 3_000_000
    _big_file(place, rows)
    workers.start(**WATCHFUL)
    job = _to_plan_approval(
        bot_side, workers, text="Import numbers.csv into database big table numbers"
    )
    _decide(bot_side, job, "plan", "approve")
    _wait_for_progress(bot_side, job, rows, workers)
    result = _decide(bot_side, job, "plan", "cancel")
    assert result.took_effect and "stops at its next batch" in result.message
    cancelled = time.monotonic()
    redis_client = bot_side.store.redis
    while redis_client.exists(heartbeat_key(job.id)) and time.monotonic() - cancelled < 30:
        time.sleep(0.05)
    stopped_after = time.monotonic() - cancelled
    assert stopped_after < 5, f"{stopped_after:.1f} s\n{workers.logs()[-3000:]}"
    job = bot_side.store.get(job.id)
    assert job.status == Status.CANCELLED
    progress = [e for e in bot_side.port_for(job).events(job.id) if e["kind"] == "progress"]
    assert progress[-1]["done"] < rows  # it stopped part way
    # the branch is removed, main untouched; the database the job created is gone again
    while "big" in bot_side.server.list_databases() and time.monotonic() - cancelled < 30:
        time.sleep(0.05)
    assert "big" not in bot_side.server.list_databases()
    assert _finished(bot_side, job.id)
