"""Reverting a merged job (issue 14, point 6), driven inline with the jobs in the real Redis
and the imports in real doltlite files: a revert is a new job in the merged job's thread whose
branch undoes the merge, reviewed like any import; one revert at a time, and only of a merge."""

from __future__ import annotations

from contextlib import closing

import pytest

from agents.errors import RevertRefused
from dolt.models import Author
from tests.workers import test_decisions
from tests.workers.test_decisions import ADA, _decide, _rows, _until
from workers.errors import IllegalTransition, NotAllowed
from workers.file_store import FileJobStore
from workers.job import Job, Person, Place
from workers.permissions import Permissions
from workers.stage_table import Action, Stage
from workers.states import Status

ctx = test_decisions.ctx  # the fixture: jobs in Redis, imports in doltlite files
GRACE = Author(name="Grace Hopper", email="grace@example.com")
EVE = Person(id="U_EVE", name="Eve Mallory")


def _merged(ctx) -> Job:
    job = _until(ctx, Status.AWAITING_REVIEW)
    _decide(ctx, job, Stage.REVIEW, Action.MERGE)
    merged = ctx.store.get(job.id)
    assert merged.status == Status.MERGED and merged.merge_commit
    return merged


def _revert(ctx, job: Job) -> Job:
    result = _decide(ctx, job, Stage.REVIEW, Action.REVERT)
    assert result.took_effect and result.job.reverts == job.id
    return ctx.store.get(result.job.id)


def _main_head(ctx) -> str:
    with closing(ctx.server.database(name="families")) as database:
        return database.branch(name="main").head


def test_a_revert_is_a_new_job_awaiting_review_in_the_thread_of_the_merged_one(ctx):
    merged = _merged(ctx)
    head, rows = _main_head(ctx), _rows(ctx)
    revert = _revert(ctx, merged)
    assert revert.status == Status.AWAITING_REVIEW and revert.pending is None
    assert revert.text == f"Revert import {merged.id}" and revert.place == merged.place
    assert revert.branch == f"import/{revert.id}" and revert.database == "families"
    (table,) = revert.review().tables
    assert (table.name, table.rows_deleted, table.rows_added) == ("people", rows, 0)
    assert revert.review().destructive == [
        f"people: revert of import {merged.id} — merging deletes the {rows} rows it added, "
        "drops the table it created"
    ]
    assert (_main_head(ctx), _rows(ctx)) == (head, rows)  # nothing on main before the merge
    assert ctx.store.get(merged.id).reverted_by == revert.id
    assert ctx.store.find_by_thread("C1", "1.1").id == merged.id  # the thread stays the import's

    _decide(ctx, revert, Stage.REVIEW, Action.MERGE)
    assert ctx.store.get(revert.id).status == Status.MERGED
    with closing(ctx.server.database(name="families")) as database:
        assert "people" not in database.list_tables()
    with pytest.raises(IllegalTransition, match=f"already reverted by job {revert.id}"):
        _decide(ctx, merged, Stage.REVIEW, Action.REVERT)


def test_one_revert_at_a_time_and_a_discarded_one_lets_another_start(ctx):
    merged = _merged(ctx)
    first = _revert(ctx, merged)
    with pytest.raises(IllegalTransition, match=f"being reverted by job {first.id}"):
        _decide(ctx, merged, Stage.REVIEW, Action.REVERT)
    _decide(ctx, first, Stage.REVIEW, Action.DISCARD)
    assert ctx.store.get(first.id).status == Status.DISCARDED
    second = _revert(ctx, merged)
    assert second.id != first.id and second.status == Status.AWAITING_REVIEW


def test_only_a_merged_job_can_be_reverted(ctx):
    job = _until(ctx, Status.AWAITING_REVIEW)
    with pytest.raises(IllegalTransition, match=f"Job {job.id} was not merged; nothing to revert"):
        _decide(ctx, job, Stage.REVIEW, Action.REVERT)
    assert ctx.store.get(job.id).reverted_by is None


def test_a_revert_that_meets_rows_main_changed_fails_saying_so(ctx):
    merged = _merged(ctx)
    with closing(ctx.server.database(name="families")) as database:
        with database.write_session(branch="main") as session:
            rows = [(1, "Changed", 50)]
            session.insert_rows(
                table="people", columns=["id", "name", "age"], rows=rows, mode="upsert"
            )
            session.commit(message="edit on main", author=GRACE)
        head = database.branch(name="main").head
    with pytest.raises(RevertRefused):  # inline (as in the terminal) the step's error is heard
        _revert(ctx, merged)
    (revert,) = [j for j in ctx.store.jobs() if j.reverts == merged.id]
    assert revert.status == Status.FAILED
    assert revert.error.startswith(f"Import {merged.id} cannot be reverted: main changed people")
    assert _main_head(ctx) == head
    with closing(ctx.server.database(name="families")) as database:
        assert [b.name for b in database.list_branches()] == ["main"]


def test_only_mergers_may_revert_and_the_refusal_names_them():
    job = Job(id="j1", requester=ADA, place=Place(kind="recording"), text="x")
    permissions = Permissions(mergers=frozenset({"U_GRACE", "S_MERGERS"}))
    with pytest.raises(NotAllowed) as refused:
        permissions.check(Action.REVERT, EVE, job)
    assert str(refused.value) == (
        "You are not allowed to revert imports; ask one of the mergers: "
        "<@U_GRACE> or <!subteam^S_MERGERS>."
    )
    permissions.check(Action.REVERT, Person(id="U_GRACE", name="Grace"), job)


def test_a_revert_job_in_a_file_store_leaves_the_thread_to_the_import(tmp_path):
    store = FileJobStore(tmp_path)
    place = Place(kind="slack", channel="C1", thread_ts="1.1")
    merged = store.create(Job(id="j1", requester=ADA, place=place, text="import x"))
    revert = store.create(Job(id="j2", requester=ADA, place=place, text="r", reverts="j1"))
    assert revert.id == "j2" and store.get("j2").reverts == "j1"
    assert store.find_by_thread("C1", "1.1").id == merged.id


def test_a_revert_takes_no_changes_in_words(ctx):
    revert = _revert(ctx, _merged(ctx))
    with pytest.raises(IllegalTransition, match="it takes no changes: merge it or discard it"):
        _decide(ctx, revert, Stage.REVIEW, Action.REVISE, feedback="only the adults")
    assert ctx.store.get(revert.id).status == Status.AWAITING_REVIEW
