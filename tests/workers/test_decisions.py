"""Decisions driven inline, as the terminal composes them, with the job in the real Redis (db 14)
and the import in real doltlite files: one decision takes effect once, in the order the state
machine allows, and says why when it does not."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
import redis

from agents.sources.resolve import SourcePolicy
from dolt import open_server
from dolt.models import Author
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from workers import steps
from workers.context import StageContext
from workers.decisions import DecisionRequest, decide
from workers.errors import IllegalTransition, JobError, OutdatedVersion
from workers.inline_scheduler import InlineScheduler
from workers.job import Job, Person, Place
from workers.recording_port import MemoryRecordingPort
from workers.redis_store import RedisJobStore
from workers.states import Status
from workers.submit import submit_job

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
ADA = Person(id="U_ADA", name="Ada Lovelace", email="ada@example.com")
REQUEST = "Import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def ctx(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLES, data / "families")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    port = MemoryRecordingPort()
    with open_server(f"doltlite:{tmp_path / 'dbs'}") as server:
        context = StageContext(
            store=RedisJobStore(client),
            server=server,
            policy=SourcePolicy(roots=(data,)),
            jobs_dir=tmp_path / "jobs",
            scheduler=InlineScheduler(),
            port_for=lambda job: port,
            stagings={},
        )
        yield context
        for staging in context.stagings.values():
            staging.close()
    client.flushdb()


def _submit(ctx: StageContext) -> Job:
    place = Place(kind="recording", channel="C1", thread_ts="1.1")
    job, created = submit_job(
        store=ctx.store, scheduler=ctx.scheduler, text=REQUEST, requester=ADA, place=place
    )
    assert created
    ctx.scheduler.run_pending(ctx)
    return ctx.store.get(job.id)


def _decide(ctx, job: Job, stage, action, *, version=None, run=True, **more):
    version = ctx.store.get(job.id).version(stage) if version is None else version
    result = decide(ctx, DecisionRequest(job.id, stage, version, action, ADA, **more))
    if run:
        ctx.scheduler.run_pending(ctx)
    return result


def _until(ctx, status: Status) -> Job:
    """Submit and approve stage by stage until the job is `status`."""
    job = _submit(ctx)
    for stage in ("understanding", "schema", "plan"):
        if job.status == status:
            return job
        _decide(ctx, job, stage, "approve")
        job = ctx.store.get(job.id)
    assert job.status == status
    return job


def _steps(ctx) -> list[str]:
    return [step for step, _, _ in ctx.scheduler.pending]


def _branches(ctx) -> list[str]:
    with closing(ctx.server.database(name="families")) as database:
        return [branch.name for branch in database.list_branches()]


def _rows(ctx, ref: str = "main") -> int:
    with closing(ctx.server.database(name="families")) as database:
        return database.count_rows(table="people", ref=ref)


def test_a_job_goes_from_request_to_merge(ctx):
    job = _until(ctx, Status.AWAITING_REVIEW)
    assert _rows(ctx, ref=f"import/{job.id}") == 39
    assert f"import/{job.id}" in _branches(ctx)
    assert _decide(ctx, job, "review", "merge").took_effect

    job = ctx.store.get(job.id)
    assert job.status == Status.MERGED and job.merge_commit
    assert _rows(ctx) == 39
    assert f"import/{job.id}" not in _branches(ctx)
    kinds = ctx.port_for(job).kinds()
    assert kinds[:3] == ["understanding", "schema", "plan"]
    assert set(kinds[3:-2]) == {"progress"}
    assert kinds[-2:] == ["review", "finished"]
    moves = [(e.status_from, e.status_to, e.actor) for e in job.audit if e.status_to]
    assert moves == [
        (Status.RECEIVED, Status.AWAITING_CONFIRMATION, "worker"),
        (Status.AWAITING_CONFIRMATION, Status.INSPECTING, "U_ADA"),
        (Status.INSPECTING, Status.AWAITING_SCHEMA_APPROVAL, "worker"),
        (Status.AWAITING_SCHEMA_APPROVAL, Status.AWAITING_PLAN_APPROVAL, "worker"),
        (Status.AWAITING_PLAN_APPROVAL, Status.RUNNING, "U_ADA"),
        (Status.RUNNING, Status.AWAITING_REVIEW, "worker"),
        (Status.AWAITING_REVIEW, Status.MERGED, "U_ADA"),
    ]
    records = [(e.actor, e.action) for e in job.audit if not e.status_to]
    assert ("U_ADA", "requested") in records
    assert ("U_ADA", "approved schema v1") in records
    assert ("U_ADA", "asked to merge") in records


@pytest.mark.parametrize(("stage", "refusal"), [("plan", IllegalTransition), ("review", JobError)])
def test_a_merge_before_review_changes_nothing_and_schedules_nothing(ctx, stage, refusal):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    with pytest.raises(refusal):
        _decide(ctx, job, stage, "merge", version=1, run=False)
    assert _steps(ctx) == []
    assert ctx.store.get(job.id) == job


def test_a_merge_before_review_is_an_illegal_transition(ctx):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    with pytest.raises(IllegalTransition):
        _decide(ctx, job, "review", "merge", version=1, run=False)


def test_approving_a_replaced_understanding_is_refused(ctx):
    job = _submit(ctx)
    assert _decide(ctx, job, "understanding", "revise", feedback="key id").took_effect
    job = ctx.store.get(job.id)
    assert job.version("understanding") == 2
    assert job.latest("understanding").artifact["key"] == ["id"]
    assert ctx.port_for(job).kinds() == ["understanding", "understanding"]

    with pytest.raises(OutdatedVersion, match="replaced by version 2") as refused:
        _decide(ctx, job, "understanding", "approve", version=1)
    assert refused.value.current == 2
    assert ctx.store.get(job.id).status == Status.AWAITING_CONFIRMATION


def test_a_second_revision_of_the_understanding_keeps_the_first(ctx):
    job = _submit(ctx)
    _decide(ctx, job, "understanding", "revise", feedback="key id")
    _decide(ctx, job, "understanding", "revise", feedback="mode upsert")
    understanding = ctx.store.get(job.id).latest("understanding").artifact
    assert understanding["mode"] == "upsert"
    assert understanding["key"] == ["id"]


def test_a_second_approval_of_the_same_version_takes_no_effect(ctx):
    job = _submit(ctx)
    first = _decide(ctx, job, "understanding", "approve", version=1, run=False)
    second = _decide(ctx, job, "understanding", "approve", version=1, run=False)
    assert first.took_effect and not second.took_effect
    assert "already approved by U_ADA" in second.message
    assert _steps(ctx) == ["inspect"]


def test_two_people_approving_the_plan_at_once_run_it_once(ctx):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    start = threading.Barrier(2)

    def approve(_):
        start.wait()
        return _decide(ctx, job, "plan", "approve", version=1, run=False)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(approve, range(2)))
    assert sorted(r.took_effect for r in results) == [False, True]
    assert _steps(ctx) == ["execute"]

    ctx.scheduler.run_pending(ctx)
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW
    assert job.version("review") == 1
    assert ctx.port_for(job).kinds().count("review") == 1
    assert _rows(ctx, ref=job.branch) == 39


def test_revising_the_schema_needs_a_model_and_shows_it_again(ctx):
    job = _until(ctx, Status.AWAITING_SCHEMA_APPROVAL)
    result = _decide(ctx, job, "schema", "revise", feedback="call it adults")
    assert not result.took_effect
    assert "language model" in result.message
    assert _steps(ctx) == []
    after = ctx.store.get(job.id)
    assert after.version("schema") == 1 and after.status == Status.AWAITING_SCHEMA_APPROVAL
    assert ctx.port_for(job).kinds() == ["understanding", "schema", "notice", "schema"]


def test_cancel_while_the_schema_waits_writes_nothing(ctx):
    job = _until(ctx, Status.AWAITING_SCHEMA_APPROVAL)
    result = _decide(ctx, job, "schema", "cancel")
    assert result.took_effect and "nothing was written" in result.message
    job = ctx.store.get(job.id)
    assert job.status == Status.CANCELLED and job.pending is None
    assert job.audit[-1].status_from == Status.AWAITING_SCHEMA_APPROVAL
    assert job.audit[-1].actor == "U_ADA"
    assert ctx.port_for(job).kinds()[-1] == "finished"
    assert "families" not in ctx.server.list_databases()  # created by the job, still empty
    assert _steps(ctx) == []


def test_cancel_while_running_takes_effect_and_the_step_cleans_up(ctx):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    _decide(ctx, job, "plan", "approve", run=False)
    result = _decide(ctx, job, "plan", "cancel", run=False)
    assert result.took_effect and "stops at its next batch" in result.message
    job = ctx.store.get(job.id)
    assert job.status == Status.CANCELLED and job.pending is None
    assert "families" in ctx.server.list_databases()  # the running step removes what it wrote
    ctx.scheduler.run_pending(ctx)  # the execute delivered meanwhile finds the job cancelled
    assert ctx.store.get(job.id).status == Status.CANCELLED
    assert "families" not in ctx.server.list_databases()  # created by the job, left empty


def test_cancel_awaiting_review_discards_the_branch(ctx):
    job = _until(ctx, Status.AWAITING_REVIEW)
    result = _decide(ctx, job, "review", "cancel")
    assert result.took_effect
    job = ctx.store.get(job.id)
    assert job.status == Status.DISCARDED
    database = ctx.server.database(name="families")
    assert job.branch not in [b.name for b in database.list_branches()]


def test_a_failed_job_is_retried_from_the_step_that_failed_and_reaches_review(ctx):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    _decide(ctx, job, "plan", "approve", run=False)
    ctx.scheduler.pending.clear()  # the worker running execute died, and the job gave up
    steps.fail(ctx, job.id, "the worker stopped", step=steps.Step.EXECUTE)
    job = ctx.store.get(job.id)
    assert (job.status, job.failed_step) == (Status.FAILED, steps.Step.EXECUTE)
    result = _decide(ctx, job, "understanding", "retry")
    assert result.took_effect, result.message
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW and job.error is None
    retried = next(e for e in job.audit if e.action == "retry")
    assert (retried.status_from, retried.status_to) == (Status.FAILED, Status.RUNNING)
    database = ctx.server.database(name="families")
    assert database.count_rows(table="people", ref=job.branch) == 39


def test_edit_request_reads_a_failed_request_again_with_the_change(ctx):
    job = _submit(ctx)
    steps.fail(ctx, job.id, "the model did not answer", step=steps.Step.UNDERSTAND)
    result = _decide(ctx, job, "understanding", "edit_request", feedback="key id")
    assert result.took_effect, result.message
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_CONFIRMATION
    assert job.request().key == ["id"]
    with pytest.raises(IllegalTransition, match="only a failed job"):
        _decide(ctx, job, "understanding", "retry")


def test_a_decision_key_given_twice_takes_effect_once(ctx):
    job = _submit(ctx)
    request = DecisionRequest(job.id, "understanding", 1, "approve", ADA)
    first = decide(ctx, request, key="action-1")
    second = decide(ctx, request, key="action-1")
    assert first.took_effect
    assert (second.message, second.took_effect) == ("Already done.", False)
    assert _steps(ctx) == ["inspect"]
    approvals = [e for e in ctx.store.get(job.id).audit if e.action.startswith("approved")]
    assert len(approvals) == 1


def _submit_text(ctx: StageContext, text: str, *, approve: bool = True) -> Job:
    place = Place(kind="recording", channel="C1", thread_ts="2.2")
    job, _ = submit_job(
        store=ctx.store, scheduler=ctx.scheduler, text=text, requester=ADA, place=place
    )
    ctx.scheduler.run_pending(ctx)
    if approve:
        _decide(ctx, ctx.store.get(job.id), "understanding", "approve")
    return ctx.store.get(job.id)


def test_a_change_to_the_schema_the_grammar_reads_needs_no_model(ctx):
    job = _submit_text(ctx, "Import all CSV files in families into database families")
    assert job.status == Status.AWAITING_SCHEMA_APPROVAL
    assert "FOREIGN KEY" in " ".join(job.schema_proposal().ddl)

    result = _decide(ctx, job, "schema", "revise", feedback="No foreign keys, type name TEXT.")
    assert result.took_effect
    assert "type name TEXT, no foreign keys" in result.message
    after = ctx.store.get(job.id)
    assert after.status == Status.AWAITING_SCHEMA_APPROVAL
    assert after.version("understanding") == 2 and after.version("schema") == 2
    request = after.request()
    assert request.overrides.foreign_keys is False
    assert [(t.column, t.type) for t in request.overrides.types] == [("name", "TEXT")]
    assert "FOREIGN KEY" not in " ".join(after.schema_proposal().ddl)
    assert ctx.port_for(job).kinds()[-1] == "schema"


def test_a_change_to_the_plan_the_grammar_reads_filters_the_rows(ctx):
    job = _until(ctx, Status.AWAITING_PLAN_APPROVAL)
    assert job.import_plan().steps[0].expected_rows == 39  # age >= 21
    result = _decide(
        ctx, job, "plan", "revise", feedback="only rows where name is 'Frieda Neumann'"
    )
    assert result.took_effect
    after = ctx.store.get(job.id)
    assert after.version("plan") == 2 and after.status == Status.AWAITING_PLAN_APPROVAL
    assert after.request().where == "(age >= 21) AND (name = 'Frieda Neumann')"
    assert after.import_plan().steps[0].expected_rows == 1


@pytest.mark.parametrize(
    ("status", "stage", "change", "said"),
    [  # a change the step cannot redo; words the grammar cannot read
        (Status.AWAITING_PLAN_APPROVAL, "plan", "recursively", "which files are read"),
        (Status.AWAITING_SCHEMA_APPROVAL, "schema", "no foreign keys and be nice", "be nice"),
    ],
)
def test_a_change_in_words_that_cannot_be_applied_is_refused_saying_why(
    ctx, status, stage, change, said
):
    job = _until(ctx, status)
    result = _decide(ctx, job, stage, "revise", feedback=change)
    assert not result.took_effect and said in result.message
    assert "send the request again" in result.message or "language model" in result.message
    after = ctx.store.get(job.id)
    assert after.version("understanding") == 1 and after.version(stage) == 1


AGES = "id,name,age\n1,Ada,36\n2,Bo,unknown\n3,Cy,41\n"


@pytest.mark.parametrize("stage", ["schema", "plan"])
def test_a_change_to_how_the_files_are_read_inspects_them_again(ctx, tmp_path, stage):
    (tmp_path / "data" / "families" / "ages.csv").write_text(AGES)
    job = _submit_text(ctx, "Import families/ages.csv into database families table people")
    assert "`age` VARCHAR" in " ".join(job.schema_proposal().ddl)  # "unknown" is text
    if stage == "plan":
        _decide(ctx, job, "schema", "approve")
        assert ctx.store.get(job.id).status == Status.AWAITING_PLAN_APPROVAL

    result = _decide(ctx, job, stage, "revise", feedback="null markers unknown")
    assert result.took_effect and "inspecting the sources again" in result.message
    after = ctx.store.get(job.id)
    assert after.status == Status.AWAITING_SCHEMA_APPROVAL
    assert after.request().read.null_markers == ["unknown"]
    assert after.version("understanding") == 2 and after.version("inspection") == 2
    assert after.version("schema") == 2
    assert "`age` TINYINT" in " ".join(after.schema_proposal().ddl)
    moves = [(e.status_from, e.status_to) for e in after.audit if e.status_to][-2:]
    assert moves == [
        (Status.AWAITING_SCHEMA_APPROVAL if stage == "schema" else Status.AWAITING_PLAN_APPROVAL,
         Status.INSPECTING),
        (Status.INSPECTING, Status.AWAITING_SCHEMA_APPROVAL),
    ]  # fmt: skip

    _decide(ctx, after, "schema", "approve")
    _decide(ctx, ctx.store.get(job.id), "plan", "approve")
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW
    with closing(ctx.server.database(name="families")) as database:
        assert database.count_rows(table="people", ref=job.branch) == 3
        assert database.count_rows(table="people", ref=job.branch, where="age IS NULL") == 1


def test_a_password_in_the_request_is_never_stored_or_shown(ctx):
    text = (
        "There is a Dolt server on 127.0.0.1:3306, user root, password 'hunter2'. "
        "Import families/people.csv into database families"
    )
    job = _submit_text(ctx, text, approve=False)
    assert "hunter2" not in job.model_dump_json()
    request = job.request()
    assert request.database == "families" and request.notes
    assert "hunter2" not in str(ctx.port_for(job).events)


def test_a_cancelled_or_failed_job_leaves_no_database_it_created(ctx):
    job = _until(ctx, Status.AWAITING_SCHEMA_APPROVAL)
    assert "families" in ctx.server.list_databases()  # the inspection created it
    _decide(ctx, job, "schema", "cancel")
    assert ctx.store.get(job.id).status == Status.CANCELLED
    assert "families" not in ctx.server.list_databases()
    job, _ = submit_job(
        store=ctx.store,
        scheduler=ctx.scheduler,
        text=REQUEST,
        requester=ADA,
        place=Place(kind="recording", channel="C1", thread_ts="2.2"),
    )
    ctx.scheduler.run_pending(ctx)
    _decide(ctx, job, "understanding", "approve")
    with (
        closing(ctx.server.database(name="families")) as database,
        database.write_session(branch="main") as session,
    ):  # someone else's table arrives on main meanwhile
        session.execute_ddl(sql="CREATE TABLE towns (id INT PRIMARY KEY)")
        session.commit(message="towns", author=Author(name="Bo", email="bo@example.com"))
    steps.fail(ctx, job.id, "the model went away")
    assert ctx.store.get(job.id).status == Status.FAILED
    assert "families" in ctx.server.list_databases()  # it holds a table now: kept
