"""Sources are resolved, fetched and fixed once per job, at inspection; later steps stage the
snapshots in the job's folder, on whichever worker runs them, and name each by its sha256."""

from __future__ import annotations

import hashlib
import shutil
from contextlib import closing

import pytest

from agents.errors import SnapshotChanged
from agents.sources.resolve import SourcePolicy
from dolt import open_server
from tests.agents.http_fixtures import local_server, send_body
from tests.fakes.commits import commit_message
from tests.workers.conftest import wait_for_status
from workers.context import StageContext
from workers.decisions import DecisionRequest, decide
from workers.file_store import FileJobStore
from workers.inline_scheduler import InlineScheduler
from workers.job import Job, Person, Place
from workers.recording_port import MemoryRecordingPort
from workers.states import Status
from workers.submit import submit_job

ADA = Person(id="U_ADA", name="Ada Lovelace", email="ada@example.com")
ROWS = [f"{i},Person {i},{20 + i}\n" for i in range(1, 31)]
PEOPLE = ("id,name,age\n" + "".join(ROWS)).encode()


def _decide(ctx, job: Job, stage: str, action: str = "approve") -> None:
    decide(ctx, DecisionRequest(job.id, stage, ctx.store.get(job.id).version(stage), action, ADA))


def _submit(ctx: StageContext, text: str) -> Job:
    job, _ = submit_job(
        store=ctx.store,
        scheduler=ctx.scheduler,
        text=text,
        requester=ADA,
        place=Place(kind="recording"),
    )
    return job


def _commit_message(server, job: Job) -> str:
    """The message of the commit that holds the job's rows (before the ledger's)."""
    with closing(server.database(name=job.database)) as database:
        return commit_message(database, job.commit)


def test_a_url_is_fetched_once_for_inspect_plan_and_execute_on_two_workers(workers, bot_side):
    """Inspect runs on one worker process; plan and execute on a second one started after the
    first is gone, so its staging can only be rebuilt from the job's folder."""

    def people(handler):
        send_body(
            handler,
            PEOPLE,
            headers=[
                ("Content-Type", "text/csv; charset=utf-8"),
                ("ETag", '"people-v1"'),
                ("Last-Modified", "Mon, 01 Dec 2025 10:00:00 GMT"),
            ],
        )

    store = bot_side.store
    with local_server() as server:
        server.routes["/exports/people.csv"] = people
        url = server.url("/exports/people.csv")
        first = workers.start(IMPORTBOT_ALLOW_PRIVATE_URLS="1")
        job = _submit(bot_side, f"import {url} into database families table people")
        job = wait_for_status(store, job.id, Status.AWAITING_CONFIRMATION, workers=workers)
        _decide(bot_side, job, "understanding")
        job = wait_for_status(store, job.id, Status.AWAITING_SCHEMA_APPROVAL, workers=workers)
        assert len(server.requests) == 1
        workers.kill(first)  # idle: the job waits for a person

        workers.start(IMPORTBOT_ALLOW_PRIVATE_URLS="1")
        _decide(bot_side, job, "schema")
        job = wait_for_status(store, job.id, Status.AWAITING_PLAN_APPROVAL, workers=workers)
        _decide(bot_side, job, "plan")
        job = wait_for_status(store, job.id, Status.AWAITING_REVIEW, workers=workers)
        fetched = [r.path for r in server.requests]

    assert fetched == ["/exports/people.csv"]
    sha256 = hashlib.sha256(PEOPLE).hexdigest()
    (snapshot,) = job.inspection().snapshots
    assert (snapshot.source, snapshot.origin, snapshot.sha256) == (url, "url", sha256)
    assert (snapshot.etag, snapshot.last_modified) == (
        '"people-v1"',
        "Mon, 01 Dec 2025 10:00:00 GMT",
    )
    assert job.review().sources == [snapshot]
    with closing(bot_side.server.database(name="families")) as database:
        assert database.count_rows(table="people", ref=job.branch) == len(ROWS)
    assert f"- {url} sha256:{sha256} (" in _commit_message(bot_side.server, job)


# -- in this process, as on a worker: nothing is kept between steps ------------------------------
@pytest.fixture
def worker_like(tmp_path):
    """The steps with no staging kept between them (`stagings=None`, as on every worker)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_bytes(PEOPLE)
    port = MemoryRecordingPort()
    with open_server(f"doltlite:{tmp_path / 'dbs'}") as server:
        yield StageContext(
            store=FileJobStore(tmp_path / "jobs"),
            server=server,
            policy=SourcePolicy(roots=(data,)),
            jobs_dir=tmp_path / "jobs",
            scheduler=InlineScheduler(),
            port_for=lambda job: port,
        )


def _to_schema_approval(ctx: StageContext) -> Job:
    job = _submit(ctx, "import people.csv into database families table people")
    ctx.scheduler.run_pending(ctx)
    _decide(ctx, job, "understanding")
    ctx.scheduler.run_pending(ctx)
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_SCHEMA_APPROVAL, job.error
    return job


def _approve(ctx: StageContext, job: Job, stage: str) -> Job:
    _decide(ctx, job, stage)
    ctx.scheduler.run_pending(ctx)
    return ctx.store.get(job.id)


def test_a_file_changed_after_inspection_does_not_change_what_is_loaded(worker_like):
    ctx = worker_like
    job = _to_schema_approval(ctx)
    original = ctx.policy.roots[0] / "people.csv"
    changed = PEOPLE.replace(b"Person 1,", b"Someone Else,") + b"31,Late Row,99\n32,Later,98\n"
    original.write_bytes(changed)

    job = _approve(ctx, job, "schema")
    assert job.status == Status.AWAITING_PLAN_APPROVAL, job.error
    assert [s.expected_rows for s in job.import_plan().steps] == [len(ROWS)]
    job = _approve(ctx, job, "plan")
    assert job.status == Status.AWAITING_REVIEW, job.error

    with closing(ctx.server.database(name="families")) as database:
        assert database.count_rows(table="people", ref=job.branch) == len(ROWS)
        names = set(database.column_values(table="people", column="name", ref=job.branch))
    assert "Person 1" in names and not {"Someone Else", "Late Row"} & names
    sha256 = hashlib.sha256(PEOPLE).hexdigest()
    assert [(s.source, s.sha256, s.size) for s in job.review().sources] == [
        ("people.csv", sha256, len(PEOPLE))
    ]
    message = _commit_message(ctx.server, job)
    assert f"\n\nSources:\n- people.csv sha256:{sha256} (" in message
    assert hashlib.sha256(changed).hexdigest() not in message


def test_a_snapshot_changed_in_the_job_folder_fails_the_step_and_writes_nothing(worker_like):
    ctx = worker_like
    job = _to_schema_approval(ctx)
    job = _approve(ctx, job, "schema")
    assert job.status == Status.AWAITING_PLAN_APPROVAL, job.error
    (snapshot,) = job.inspection().snapshots
    copy = ctx.workdir(job.id) / snapshot.file
    copy.chmod(0o644)
    copy.write_bytes(PEOPLE.replace(b"Person 2,", b"Mallory,"))

    with pytest.raises(SnapshotChanged):
        _approve(ctx, job, "plan")  # the terminal's scheduler re-raises what failed the job
    job = ctx.store.get(job.id)
    assert job.status == Status.FAILED
    assert job.error.startswith("The job's copy of people.csv (sources/")
    assert "changed after it was inspected" in job.error
    assert f"sha256 {snapshot.short_sha256}" in job.error and "Nothing was written" in job.error
    # nothing was written: the database the job created, still empty, is gone again
    assert "families" not in ctx.server.list_databases()


def test_a_snapshot_the_job_folder_lost_fails_the_step_saying_so(worker_like):
    ctx = worker_like
    job = _to_schema_approval(ctx)
    shutil.rmtree(ctx.workdir(job.id) / "sources")
    with pytest.raises(SnapshotChanged):
        _approve(ctx, job, "schema")
    job = ctx.store.get(job.id)
    assert job.status == Status.FAILED and "people.csv" in job.error and "missing" in job.error
