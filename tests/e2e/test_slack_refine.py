"""Refining a loaded branch in Slack (issue 14, point 5): a reply in the job's thread to the
review is a change to what was loaded; the plan is shown again for approval, the import is
loaded again as a new commit on the same branch, and the new review knows what changed since
the previous revision."""

from __future__ import annotations

import json

import pytest

from bot.slack.messages import actions as ids
from bot.slack.messages.revision import since_previous_text
from dolt import open_server
from tests.e2e.slack_world import CHANNEL, SECRET, SlackWorld
from tests.fakes import slack_requests as slack
from tests.workers.conftest import wait_for_status
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def test_a_reply_to_the_review_makes_a_second_revision_on_the_same_branch(world, tmp_path):
    world.start_worker()
    thread = world.mention(REQUEST)
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    world.wait_message(thread, ids.MERGE)
    job = world.intake.store.find_by_thread(CHANNEL, thread)
    assert [r.number for r in job.revisions] == [1]

    world.reply(thread, "only rows where age >= 30")
    plan = world.wait_message(thread, ids.RUN_PLAN)  # shown again (the first one was decided)
    assert "32 rows" in plan.text and '"stage":"plan","version":2' in str(plan.blocks)
    world.click(plan, ids.RUN_PLAN)
    world.wait_message(thread, ids.MERGE, after=1)

    job = wait_for_status(world.intake.store, job.id, Status.AWAITING_REVIEW)
    assert [(r.number, r.change) for r in job.revisions] == [
        (1, ""),
        (2, "only rows where age >= 30"),
    ]
    review = job.review()
    assert review.revision == 2 and review.branch == job.branch
    (people,) = review.since_previous
    database = open_server(f"doltlite:{world.place / 'dbs'}").database(name="families")
    on_branch = database.count_rows(table="people", ref=job.branch)
    assert on_branch == database.count_rows(table="people", ref=job.branch, where="age >= 30")
    assert people.rows_deleted == 39 - on_branch and people.rows_after == on_branch
    text = since_previous_text(review)
    assert text.startswith("*Revision 2* — only rows where age &gt;= 30")
    assert "Since revision 1:" in text and f"-{39 - on_branch}" in text

    # the review shows the revision and what changed since the previous one, and its
    # Change… button opens the changes modal: a third revision
    second = world.wait_message(thread, ids.MERGE, after=1)
    assert "*Revision 2* — only rows where age &gt;= 30" in json.dumps(
        second.blocks, ensure_ascii=False
    )
    world.click(second, ids.CHANGE_IMPORT)
    view = world.emulator.wait_for("views.open").args["view"]
    assert view["title"]["text"] == "Change what was loaded"
    refused = _submit(world, view, "make it nicer")  # no model, and the grammar cannot read it
    assert "errors" in refused and "language model" in refused  # said in the modal
    assert world.intake.store.get(job.id).revisions[-1].number == 2
    _submit(world, view, "only rows where age >= 60")
    world.click(world.wait_message(thread, ids.RUN_PLAN), ids.RUN_PLAN)
    third = world.wait_message(thread, ids.MERGE, after=2)
    job = wait_for_status(world.intake.store, job.id, Status.AWAITING_REVIEW)
    assert [r.number for r in job.revisions] == [1, 2, 3]
    last = database.count_rows(table="people", ref=job.branch)
    assert last == database.count_rows(table="people", ref=job.branch, where="age >= 60")
    (people,) = job.review().since_previous
    assert people.rows_deleted == on_branch - last

    folded = next(m for m in world.thread(thread) if m.ts == second.ts)
    assert "was replaced by version 3" in folded.text  # the older review folded to a line
    world.click(second, ids.MERGE, user="U_GRACE")  # an older revision's review: replaced
    world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_GRACE")
    assert any("replaced" in text for text in world.ephemerals_to("U_GRACE"))
    world.click(third, ids.MERGE, user="U_GRACE")
    wait_for_status(world.intake.store, job.id, Status.MERGED)
    assert database.count_rows(table="people") == last  # main gets the last revision
    database.close()
    calls = [{"method": c.method, "args": c.args, "at": c.at} for c in world.emulator.calls()]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview


def _submit(world, view, words) -> str:
    """Submit the changes modal; the response's body (the modal's errors, if any)."""
    submitted = slack.view_submission(
        user="U_ADA",
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={"feedback": {"feedback": {"type": "plain_text_input", "value": words}}},
    )
    status, body, _ = slack.post_signed(
        world.url, slack.interactive_body(submitted), secret=SECRET, content_type=slack.FORM
    )
    assert status == 200
    return body.decode() if isinstance(body, bytes) else str(body)
