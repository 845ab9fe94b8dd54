"""Issue 15, point 8: the outcome leaves the thread. Merged, discarded or failed, the request
message gets ✅ / 🗑 / ❌ and the final line is also sent to the channel (`reply_broadcast`,
IMPORTBOT_BROADCAST_OUTCOME); a reaction Slack refuses never fails the job."""

from __future__ import annotations

import json

import pytest

from bot.slack.messages import actions as ids
from tests.e2e.slack_world import CHANNEL, SlackWorld
from tests.workers.conftest import wait_for_status
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _to_review(world, thread):
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    return world.wait_message(thread, ids.MERGE)


def _job(world, thread):
    return world.intake.store.find_by_thread(CHANNEL, thread)


def _final_post(world, thread, words: str):
    return world.emulator.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("thread_ts") == thread and words in json.dumps(c.args["blocks"]),
        timeout=60,
    )


def _calls(world) -> list[dict]:
    return [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]


def test_a_merge_marks_the_request_and_broadcasts_the_final_line(world, tmp_path):
    world.start_worker()
    thread = world.mention(REQUEST)
    world.click(_to_review(world, thread), ids.MERGE, user="U_GRACE")
    final = _final_post(world, thread, "merged")
    assert final.args["reply_broadcast"] is True  # shown in the channel too
    world.emulator.wait_for("reactions.add")
    assert world.emulator.reactions(CHANNEL, thread) == ["white_check_mark"]
    assert _job(world, thread).status == Status.MERGED
    understanding = world.emulator.wait_for(
        "chat.postMessage", lambda c: "understanding" in c.args.get("text", "")
    )
    assert understanding.args["unfurl_links"] is False  # it quotes the request
    others = [c for c in world.emulator.calls("chat.postMessage") if c is not final]
    assert not any(c.args.get("reply_broadcast") for c in others)  # only the outcome
    (tmp_path / "calls.json").write_text(json.dumps(_calls(world), default=str))


def test_a_discard_marks_the_request_with_a_wastebasket(world):
    world.start_worker()
    thread = world.mention(REQUEST)
    world.click(_to_review(world, thread), ids.DISCARD, user="U_GRACE")
    assert _final_post(world, thread, "discarded").args["reply_broadcast"] is True
    world.emulator.wait_for("reactions.add")
    assert world.emulator.reactions(CHANNEL, thread) == ["wastebasket"]


def test_a_failure_marks_the_request_with_a_cross_until_a_retry_merges(world):
    world.start_worker()
    thread = world.mention("import families/later.csv into database families")
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    assert _final_post(world, thread, "failed").args["reply_broadcast"] is True
    world.emulator.wait_for("reactions.add")
    assert world.emulator.reactions(CHANNEL, thread) == ["x"]

    (world.place / "data" / "families" / "later.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    world.click(world.wait_message(thread, ids.RETRY), ids.RETRY)
    for action in (ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    world.click(world.wait_message(thread, ids.MERGE), ids.MERGE, user="U_GRACE")
    _final_post(world, thread, "merged")
    world.emulator.wait_for("reactions.add", lambda c: c.args["name"] == "white_check_mark")
    assert world.emulator.reactions(CHANNEL, thread) == ["white_check_mark"]  # ❌ taken off


def test_a_refused_reaction_does_not_break_the_merge_and_broadcast_can_be_off(world):
    world.start_worker(IMPORTBOT_BROADCAST_OUTCOME="off")
    thread = world.mention(REQUEST)
    review = _to_review(world, thread)
    world.emulator.fail("reactions.add", "missing_scope", times=5)  # an app not reinstalled
    world.click(review, ids.MERGE, user="U_GRACE")
    final = _final_post(world, thread, "merged")
    assert "reply_broadcast" not in final.args
    refused = world.emulator.wait_for("reactions.add")
    job = wait_for_status(world.intake.store, _job(world, thread).id, Status.MERGED)
    assert job.error is None and job.merge_commit
    assert world.emulator.reactions(CHANNEL, thread) == []
    assert "SlackApiError" not in world.workers.logs()  # the merge task did not fail on it
    assert (
        len(world.emulator.calls("reactions.add")) == 1
        and refused.args["name"] == "white_check_mark"
    )
