"""Issue 15, point 1: the people who must act are told. A ready review mentions the mergers
(and with IMPORTBOT_NOTIFY_MERGERS=dm each merger, groups expanded, gets a DM linking to it); a
job nobody decided gets one reminder naming who must act, however often the pass runs; a review
nobody decided for IMPORTBOT_EXPIRE_AFTER is discarded — its branch deleted, the thread told.
The watchdog's pass is called here with a "now" days ahead instead of waiting."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from bot.entrypoints.settings import Settings
from bot.entrypoints.worker import operator_context, reminder_settings
from bot.slack.messages import actions as ids
from dolt import open_server
from tests.e2e.slack_world import CHANNEL, SlackWorld
from tests.workers.conftest import wait_for_status
from workers.job import now
from workers.reminders import remind_once
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


@pytest.fixture
def watchdog_side(world):
    """What a worker's watchdog round holds: the workers' store, queues and Slack port."""
    with open_server(world.env["IMPORTBOT_DOLT_URL"]) as server:
        settings = Settings.from_environment(world.env)
        yield operator_context(settings, server), reminder_settings(settings)


def _to_review(world, thread):
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    return world.wait_message(thread, ids.MERGE)


def _job(world, thread):
    return world.intake.store.find_by_thread(CHANNEL, thread)


def _save_calls(world, tmp_path) -> None:
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))


def _reminders(world, thread) -> list:
    return [m for m in world.thread(thread) if ":bell:" in json.dumps(m.blocks)]


def test_a_ready_review_mentions_the_mergers_and_dms_each_of_them(world, tmp_path):
    world.emulator.usergroups["S_MERGERS"] = ["U_GRACE", "U_EVE"]
    world.start_worker(IMPORTBOT_NOTIFY_MERGERS="dm")
    thread = world.mention(REQUEST)
    review = _to_review(world, thread)
    verdict = json.dumps(review.blocks)
    assert "Who may merge: <!subteam^S_MERGERS>" in verdict  # a mention Slack notifies
    sent = world.emulator.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == "DU_EVE", timeout=30
    )
    opened = sorted(c.args["users"] for c in world.emulator.calls("conversations.open"))
    assert opened == ["U_EVE", "U_GRACE"]  # the group expanded; not Ada, who asked
    dms = {m.channel: m for m in world.emulator.messages() if m.channel.startswith("D")}
    assert set(dms) == {"DU_GRACE", "DU_EVE"}
    link = f"/archives/{CHANNEL}/p{review.ts.replace('.', '')}?thread_ts={thread}"
    for dm in dms.values():
        text = json.dumps(dm.blocks)
        assert link in text and "A review is waiting for you" in text and "<@U_ADA>" in text
    assert sent.args["unfurl_links"] is False
    _save_calls(world, tmp_path)


def test_without_dms_no_merger_is_messaged_and_a_refusal_names_who_can_merge(world):
    world.start_worker()
    thread = world.mention(REQUEST)
    world.click(_to_review(world, thread), ids.MERGE, user="U_EVE")
    world.emulator.wait_for("chat.postEphemeral", timeout=30)
    (refusal,) = world.ephemerals_to("U_EVE")
    assert "ask one of the mergers: <!subteam^S_MERGERS>." in refusal
    assert world.emulator.calls("conversations.open") == []


def test_one_reminder_per_wait_and_a_review_nobody_decided_expires(world, watchdog_side, tmp_path):
    ctx, settings = watchdog_side
    world.start_worker()
    thread = world.mention(REQUEST)
    confirm = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    remind_once(ctx, settings, now_at=now() + timedelta(hours=5))
    remind_once(ctx, settings, now_at=now() + timedelta(hours=6))  # the next round
    (asked,) = _reminders(world, thread)
    assert "<@U_ADA>: please confirm it or say what to change" in json.dumps(asked.blocks)

    world.click(confirm, ids.CONFIRM_UNDERSTANDING)
    for action in (ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    world.wait_message(thread, ids.MERGE)
    job = wait_for_status(world.intake.store, _job(world, thread).id, Status.AWAITING_REVIEW)
    for hours in (5, 5, 30):  # a new wait, reminded once
        remind_once(ctx, settings, now_at=now() + timedelta(hours=hours))
    assert len(_reminders(world, thread)) == 2
    review_reminder = json.dumps(_reminders(world, thread)[-1].blocks)
    assert "<!subteam^S_MERGERS>: please merge it or discard it" in review_reminder
    assert "Unless someone decides within" in review_reminder

    remind_once(ctx, settings, now_at=now() + timedelta(days=7, minutes=1))
    world.wait_text(thread, "so it expired")
    job = wait_for_status(world.intake.store, job.id, Status.DISCARDED, workers=world.workers)
    assert job.audit[-1].actor == "system"
    world.wait_text(thread, "Discarded")
    world.wait_text(thread, "importbot chose *Discard (nobody decided in time)*")
    expired = world.wait_text(thread, "so it expired")
    assert "ask again" in expired.text and job.branch in expired.text
    with open_server(world.env["IMPORTBOT_DOLT_URL"]) as server:
        database = server.database(name="families")
        assert job.branch not in [b.name for b in database.list_branches()]
        database.close()
    remind_once(ctx, settings, now_at=now() + timedelta(days=8))  # nothing left to do
    assert len(_reminders(world, thread)) == 2
    _save_calls(world, tmp_path)


def test_the_workers_watchdog_reminds_once_by_itself(world):
    world.start_worker(IMPORTBOT_REMIND_AFTER="2s", IMPORTBOT_WATCHDOG_EVERY="0.5")
    thread = world.mention(REQUEST)
    world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    world.wait_text(thread, "please confirm it or say what to change", timeout=30)
    time.sleep(3)  # several more rounds
    assert len(_reminders(world, thread)) == 1
