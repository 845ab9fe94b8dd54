"""A merge redelivered after its worker crashed between merging and recording it: the branch is
gone and main holds the import, so the job is merged — with the merge commit the crashed worker
made, found on main, also when other imports were merged after it."""

from __future__ import annotations

from contextlib import closing

from dolt.models import Author
from tests.workers.test_decisions import ADA, _decide, ctx
from workers import steps
from workers.job import Job, Place
from workers.stage_table import Step
from workers.states import Status
from workers.submit import submit_job

__all__ = ["ctx"]  # the fixture: the real Redis, doltlite files, steps run inline

PEOPLE = "Import families/people.csv into database families table people where age >= 21"
BIRTHDAYS = "Import families/birthdays.csv into database families table birthdays"


def _to_review(ctx, text: str, thread: str) -> Job:
    place = Place(kind="recording", channel="C1", thread_ts=thread)
    job, _ = submit_job(
        store=ctx.store, scheduler=ctx.scheduler, text=text, requester=ADA, place=place
    )
    ctx.scheduler.run_pending(ctx)
    for stage in ("understanding", "schema", "plan"):
        _decide(ctx, ctx.store.get(job.id), stage, "approve")
    job = ctx.store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW, job.error
    return job


def _merged_then_crashed(ctx, job: Job) -> str:
    """Merge is asked; its worker merges and removes the branch, then dies before saving."""
    _decide(ctx, job, "review", "merge", run=False)
    step, job_id, _ = ctx.scheduler.pending.popleft()
    assert (step, job_id) == (Step.MERGE, job.id)
    with closing(ctx.server.database(name="families")) as database:
        merged = database.merge(
            branch=f"import/{job.id}",
            message=f"Merge import/{job.id} (import job {job.id})",
            author=Author(name="Ada Lovelace", email="ada@example.com"),
        )
        database.delete_branch(name=f"import/{job.id}")
    return merged.hash


def _main_head(ctx) -> str:
    with closing(ctx.server.database(name="families")) as database:
        return database.branch(name="main").head


def test_the_redelivered_merge_records_the_merge_commit_at_mains_head(ctx):
    job = _to_review(ctx, PEOPLE, "1.1")
    merge_commit = _merged_then_crashed(ctx, job)
    steps.run_step(ctx, Step.MERGE, job.id, reraise=True)  # the redelivery
    job = ctx.store.get(job.id)
    assert job.status == Status.MERGED
    assert job.merge_commit == merge_commit == _main_head(ctx)


def test_the_redelivered_merge_finds_its_merge_commit_below_later_merges(ctx):
    people = _to_review(ctx, PEOPLE, "1.1")
    birthdays = _to_review(ctx, BIRTHDAYS, "2.2")
    merge_commit = _merged_then_crashed(ctx, people)
    _decide(ctx, birthdays, "review", "merge")  # merged meanwhile, on top of it
    assert ctx.store.get(birthdays.id).status == Status.MERGED
    assert _main_head(ctx) != merge_commit

    steps.run_step(ctx, Step.MERGE, people.id, reraise=True)
    people = ctx.store.get(people.id)
    assert people.status == Status.MERGED and people.merge_commit == merge_commit
