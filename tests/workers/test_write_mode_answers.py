"""The questions about tables that exist, answered as Slack and the terminal answer them
(through `decide`, job in the real Redis, import in real doltlite files): the answer sets the
write mode of the plan, "stop" ends the job writing nothing, and an answer that names no mode
is refused saying what to answer."""

from __future__ import annotations

import itertools

import pytest

from tests.workers import test_decisions
from tests.workers.test_decisions import ADA, _decide, _rows
from workers.errors import IllegalTransition
from workers.job import Place
from workers.states import Status
from workers.submit import submit_job

ctx = test_decisions.ctx  # the same fixture: real Redis, doltlite files, examples/families
THREADS = (f"1.{n}" for n in itertools.count(1))  # a request per thread: a new job each

FIRST = "Import families/people.csv into database families table people"


def _job(ctx, text: str):
    job, _ = submit_job(
        store=ctx.store,
        scheduler=ctx.scheduler,
        text=text,
        requester=ADA,
        place=Place(kind="recording", channel="C1", thread_ts=next(THREADS)),
    )
    ctx.scheduler.run_pending(ctx)
    return ctx.store.get(job.id)


def _merged(ctx, text: str):
    job = _job(ctx, text)
    for stage in ("understanding", "schema", "plan"):
        _decide(ctx, job, stage, "approve")
    _decide(ctx, job, "review", "merge")
    assert ctx.store.get(job.id).status == Status.MERGED


def _at_questions(ctx, text: str):
    job = _job(ctx, text)
    _decide(ctx, job, "understanding", "approve")
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_ANSWERS
    return job


def test_the_same_file_again_is_asked_about_and_stop_writes_nothing(ctx):
    _merged(ctx, FIRST)
    job = _at_questions(ctx, FIRST)
    (question,) = job.questions().questions
    assert question.id == "already_imported" and question.default == "stop"
    assert question.choices == ["stop", "append", "upsert by id", "replace"]
    assert "families/people.csv was already imported into families.people on" in question.text
    result = _decide(ctx, job, "questions", "skip")  # the defaults: stop
    job = ctx.store.get(job.id)
    assert job.status == Status.CANCELLED and result.message.startswith("Stopped: ")
    assert _rows(ctx) == 50  # one copy; the database the first import made is kept
    assert ctx.port_for(job).kinds()[-1] == "finished"


def test_an_answer_sets_the_write_mode_of_the_plan(ctx):
    _merged(ctx, FIRST)
    job = _at_questions(ctx, FIRST)
    _decide(ctx, job, "questions", "answer", answers={"already_imported": "upsert by id"})
    job = ctx.store.get(job.id)
    assert job.request().table_modes == {"people": "upsert"}
    assert job.latest("understanding").feedback == "answers"
    _decide(ctx, job, "schema", "approve")
    job = ctx.store.get(job.id)
    assert [step.mode for step in job.import_plan().steps] == ["upsert"]


def test_an_existing_table_asks_how_and_append_is_the_default(ctx):
    _merged(ctx, FIRST)
    job = _at_questions(ctx, "Import families/marriages.csv into database families table people")
    (question,) = job.questions().questions
    assert question.id == "write_mode" and question.default == "append"
    assert "The table already exists on main: people." in question.text


def test_an_answer_that_names_no_mode_is_refused_saying_what_to_answer(ctx):
    _merged(ctx, FIRST)
    job = _at_questions(ctx, FIRST)
    with pytest.raises(IllegalTransition, match="Answer append, upsert, replace or stop"):
        _decide(ctx, job, "questions", "answer", answers={"already_imported": "perhaps"})
    assert ctx.store.get(job.id).status == Status.AWAITING_ANSWERS
