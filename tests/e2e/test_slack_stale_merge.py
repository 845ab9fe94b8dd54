"""No stale merges (issue 14, point 4) in Slack: main moved between the review and the click on
Merge in a way that changes the review → the merge is refused saying what changed, the review
as it is now is posted, the old Merge button is outdated; the newest review's Merge works."""

from __future__ import annotations

import json

import pytest

from bot.slack.messages import actions as ids
from dolt import open_server
from dolt.models import WriteMode
from tests.conftest import REQUESTER
from tests.e2e.slack_world import CHANNEL, SlackWorld, has_action
from tests.workers.conftest import wait_for_status
from workers.states import Status

PEOPLE = ["id", "name", "age"]
FRIEDA = (1, "Frieda Neumann", 74)


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _on_main(database, row, message):
    with database.write_session(branch="main") as session:
        session.insert_rows(table="people", columns=PEOPLE, rows=[row], mode=WriteMode.UPSERT)
        session.commit(message=message, author=REQUESTER)


def _merge_from_the_app_home(world, job_id):
    """Grace opens the App Home and clicks Merge on the job (it carries the newest version)."""
    blocks = world.open_home("U_GRACE")
    value = next(
        e["value"]
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == ids.MERGE and json.loads(e["value"])["job"] == job_id
    )
    assert world.click_on_home("U_GRACE", blocks, ids.MERGE, value) == 200


def test_main_moved_under_a_review_refuses_the_merge_and_posts_the_review_again(world, tmp_path):
    store = world.intake.store
    server = open_server(f"doltlite:{world.place / 'dbs'}")
    families = server.create_database(name="families")
    with families.write_session(branch="main") as session:
        session.execute_ddl(sql="CREATE TABLE people (id INT PRIMARY KEY, name TEXT, age INT)")
        session.insert_rows(table="people", columns=PEOPLE, rows=[FRIEDA, (2, "Ludwig", 79)])
        session.commit(message="people on main", author=REQUESTER)
    (world.place / "data" / "update.csv").write_text("id,name,age\n1,Frieda N.,74\n3,Clara,72\n")
    world.start_worker()
    thread = world.mention("upsert update.csv into families.people by id")
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    first = world.wait_message(thread, ids.MERGE)
    job = store.find_by_thread(CHANNEL, thread)
    confirm = next(
        e["confirm"]["text"]["text"]
        for b in first.blocks
        for e in b.get("elements", [])
        if e.get("action_id") == ids.MERGE
    )
    assert confirm.startswith("Adds 1 row to people, changes 1, deletes 0")

    _on_main(families, (1, "Frieda Neu", 74), "someone fixed Frieda's name on main")
    moved = families.branch(name="main").head
    world.click(first, ids.MERGE, user="U_GRACE")
    refused = world.wait_text(thread, "main moved since the review")
    assert "Merge refused, nothing changed on main" in refused.text
    assert "new conflict (people: 1 conflicting row(s))" in refused.text
    again = world.wait_message(thread, ids.DISCARD)  # the review as it is now
    assert again.ts != first.ts
    assert "people: 1 conflicting row(s)" in json.dumps(again.blocks)
    assert not has_action(again.blocks, ids.MERGE)  # not offered while it would conflict
    job = store.get(job.id)
    assert job.status == Status.AWAITING_REVIEW and job.pending is None
    assert [v.version for v in job.artifacts["review"]] == [1, 2]
    assert families.branch(name="main").head == moved

    world.click(first, ids.MERGE, user="U_GRACE")  # the old button: outdated
    world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_GRACE")
    assert any(
        "This review was replaced (version 2 is current)" in text
        for text in world.ephemerals_to("U_GRACE")
    )
    assert store.get(job.id).status == Status.AWAITING_REVIEW

    _on_main(families, FRIEDA, "Frieda's name back as it was")  # the conflict is gone again
    _merge_from_the_app_home(world, job.id)
    world.wait_text(thread, "conflict gone (people: 1 conflicting row(s))")
    newest = world.wait_message(thread, ids.MERGE)
    assert newest.ts not in (first.ts, again.ts)
    assert len(store.get(job.id).artifacts["review"]) == 3

    world.click(newest, ids.MERGE, user="U_GRACE")  # main quiet since: it merges
    wait_for_status(store, job.id, Status.MERGED)
    assert families.read_rows(table="people", where="id = 1")[0]["name"] == "Frieda N."
    assert families.count_rows(table="people") == 3
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview
