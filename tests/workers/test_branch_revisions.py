"""Refining a loaded branch, in this process on a real doltlite directory: which step a change
at review goes back to, and a redelivered revision that neither doubles rows nor loses the
earlier revisions."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from agents.sources.resolve import SourcePolicy
from bot.terminal.port import TerminalPort
from dolt import open_server
from dolt.models import Author
from workers import local_jobs, steps
from workers.decisions import DecisionRequest, decide
from workers.file_store import FileJobStore
from workers.inline_scheduler import InlineScheduler
from workers.job import Job
from workers.revision_in_words import Revision, revised_in_words
from workers.stage_table import Action, Stage, Step, stage_row
from workers.states import Status

REPO = Path(__file__).resolve().parents[2]
REQUEST = "Import all CSV files in examples/families into fam. Create tables as needed."


@pytest.fixture
def setup(tmp_path, monkeypatch):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    server = open_server(f"doltlite://{tmp_path / 'dbs'}")
    yield local_jobs.LocalSetup(
        server=server,
        policy=SourcePolicy.from_env({}, cwd=tmp_path),
        jobs_dir=tmp_path / "jobs",
        author=Author(name="Ada Lovelace", email="ada@example.com"),
    )
    server.close()


def _port(setup) -> TerminalPort:
    return TerminalPort(ask=False, quiet=True, console=Console(), person=setup.person)


def _loaded(setup) -> local_jobs.ImportOutcome:
    outcome = local_jobs.run_import(REQUEST, setup=setup, port=_port(setup))
    assert outcome.status == Status.AWAITING_REVIEW
    return outcome


@pytest.mark.parametrize(
    ("change", "step"),
    [
        ("only rows where age >= 21", Step.PLAN),  # a filter: the plan
        ("no foreign keys", Step.PROPOSE_SCHEMA),  # the schema
        ("key id", Step.PROPOSE_SCHEMA),
        ("delimiter ;", Step.INSPECT),  # how the files are read: the inspection
    ],
)
def test_a_change_at_review_goes_to_the_step_that_owns_it(setup, change, step):
    job: Job = FileJobStore(setup.jobs_dir).get(_loaded(setup).job_id)
    revision = revised_in_words(job, change, stage_row(Stage.REVIEW))
    assert isinstance(revision, Revision), revision
    assert revision.step == step


def test_a_redelivered_revision_starts_again_from_the_previous_revision(setup):
    first = _loaded(setup)
    second = local_jobs.change_import(
        first.job_id, "only rows where age >= 21", setup=setup, port=_port(setup)
    )
    assert second.status == Status.AWAITING_REVIEW and second.review is not None
    assert second.review.revision == 2
    store = FileJobStore(setup.jobs_dir)
    database = setup.server.database(name="fam")
    loaded = {t: database.count_rows(table=t, ref=second.branch) for t in ("people", "parents")}
    history = [message for _, message in database.commits(ref=second.branch)]
    assert loaded == {"people": 39, "parents": 33} and len(history) == 5

    def crashed_before_recording(job: Job) -> None:
        """The worker made the revision's commits, then died before the job said so."""
        job.revisions.pop()
        job.refining = "only rows where age >= 21"
        job.pending = Step.EXECUTE
        job.status = Status.RUNNING

    store.update(first.job_id, crashed_before_recording)
    ctx = local_jobs._context(setup, _port(setup), InlineScheduler())
    steps.execute(ctx, first.job_id)  # the redelivery

    job = store.get(first.job_id)
    assert job.status == Status.AWAITING_REVIEW and [r.number for r in job.revisions] == [1, 2]
    assert {t: database.count_rows(table=t, ref=second.branch) for t in loaded} == loaded
    again = [message for _, message in database.commits(ref=second.branch)]
    assert len(again) == 5 and again[2:] == history[2:]  # revision 1 kept, revision 2 once
    ledger = database.read_rows(table="importbot_imports", ref=second.branch)
    assert len(ledger) == 4 and {r["data_commit"] for r in ledger} == {job.revisions[1].commit}
    review = job.review()
    assert review.revision == 2 and review.previous_commit == job.revisions[0].tip
    assert {t.name: t.rows_deleted for t in review.since_previous} == {
        "people": 11,
        "birthdays": 11,
        "parents": 11,
    }
    database.close()


def test_with_a_model_a_change_the_grammar_cannot_read_goes_to_the_schema_in_words(setup):
    first = _loaded(setup)
    scheduler = InlineScheduler()
    ctx = dataclasses.replace(
        local_jobs._context(setup, _port(setup), scheduler), llm=object()
    )  # a model is configured (the step is not run here)
    job = FileJobStore(setup.jobs_dir).get(first.job_id)
    result = decide(
        ctx,
        DecisionRequest(
            job.id, Stage.REVIEW, job.version(Stage.REVIEW), Action.REVISE, setup.person,
            feedback="split the name into first and last name",
        ),
    )  # fmt: skip
    assert result.took_effect and "the branch gets a new commit" in result.message
    job = FileJobStore(setup.jobs_dir).get(first.job_id)
    assert (job.status, job.pending) == (Status.INSPECTING, Step.PROPOSE_SCHEMA)
    assert job.refining == "split the name into first and last name"
    assert list(scheduler.pending) == [
        (Step.PROPOSE_SCHEMA, job.id, {"feedback": "split the name into first and last name"})
    ]
