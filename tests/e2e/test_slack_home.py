"""Issue 15, points 2 and 6 in the Slack world: the App Home is a dashboard the workers keep up
to date, New import asks for a request in a modal, and failures say why in plain words."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.messages import actions as ids
from bot.slack.messages.new_import import CHANNEL_BLOCK, DATABASE_BLOCK, TEXT_BLOCK
from tests.e2e.slack_world import CHANNEL, SECRET, SlackWorld, has_action
from tests.fakes import slack_requests as slack
from tests.workers.conftest import wait_for_status
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _job(world, thread_ts):
    return world.intake.store.find_by_thread(CHANNEL, thread_ts)


def _home(world, user, predicate=lambda text: True, *, timeout=60.0) -> str:
    """The newest Home published for `user` that `predicate` accepts, as JSON text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in reversed(world.emulator.calls("views.publish")):
            text = json.dumps(call.args["view"], ensure_ascii=False)
            if call.args["user_id"] == user and predicate(text):
                return text
        time.sleep(0.1)
    shown = [json.dumps(c.args)[:400] for c in world.emulator.calls("views.publish")]
    raise AssertionError(f"no such Home for {user}; published: {shown}")


def _submit(world, view, values):
    submitted = slack.view_submission(
        user="U_ADA", callback_id=view["callback_id"], private_metadata="", values=values
    )
    status, answer, _ = slack.post_signed(
        world.url, slack.interactive_body(submitted), secret=SECRET, content_type=slack.FORM
    )
    assert status == 200
    return json.loads(answer) if answer.strip() else {}


def _write_calls(world, tmp_path):
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview


def test_the_app_home_shows_waiting_running_and_recent_with_links(world, tmp_path):
    world.start_worker()
    failing = world.mention("import nowhere/missing.csv into database families")
    world.click(world.wait_message(failing, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    wait_for_status(world.intake.store, _job(world, failing).id, Status.FAILED)
    waiting = world.mention(REQUEST)
    world.wait_message(waiting, ids.CONFIRM_UNDERSTANDING)

    assert world.post_event(slack.app_home_opened(user="U_ADA")) == 200
    home = _home(world, "U_ADA", lambda text: "Recent" in text and "missing.csv" in text)
    assert "*Waiting for you* (1) · 1 stage to approve" in home
    assert "waiting for you to confirm what I understood" in home
    assert f"app_redirect?channel={CHANNEL}&message_ts={waiting}|open the thread" in home
    assert "*Recent* (the last 1)" in home and "*failed*" in home
    assert "nowhere/missing.csv: no such file or folder" in home and str(world.place) not in home
    assert "No imports yet" not in home and ids.NEW_IMPORT in home

    assert world.post_event(slack.app_home_opened(user="U_EVE")) == 200  # asked for nothing
    assert "No imports yet" in _home(world, "U_EVE")
    _write_calls(world, tmp_path)


def test_a_job_reaching_review_republishes_the_mergers_home_without_opening_it(world, tmp_path):
    world.start_worker()
    thread = world.mention(REQUEST)
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    world.wait_message(thread, ids.MERGE)
    job = _job(world, thread)
    home = _home(world, "U_GRACE", lambda text: "merge or discard it" in text)
    assert job.id in home and ids.MERGE in home and "*Waiting for you* (1)" in home
    assert not [
        c for c in world.emulator.calls("views.publish") if c.args["user_id"] == "U_EVE"
    ]  # not a merger, asked for nothing: no Home published
    _write_calls(world, tmp_path)


def test_new_import_opens_a_modal_and_its_request_becomes_a_job_in_the_chosen_channel(
    world, tmp_path
):
    world.start_worker()
    assert world.click_on_home("U_ADA", [], ids.NEW_IMPORT, "new") == 200
    view = world.emulator.wait_for("views.open").args["view"]
    assert view["callback_id"] == ids.NEW_IMPORT_MODAL_CALLBACK

    empty = {TEXT_BLOCK: {"text": {"type": "plain_text_input", "value": "  "}}}
    answer = _submit(world, view, empty)
    assert answer["response_action"] == "errors" and TEXT_BLOCK in answer["errors"]
    assert not world.intake.store.jobs()  # nothing started

    values = {
        TEXT_BLOCK: {"text": {"type": "plain_text_input", "value": "families/people.csv"}},
        DATABASE_BLOCK: {"database": {"type": "plain_text_input", "value": "families"}},
        CHANNEL_BLOCK: {
            "channel": {"type": "conversations_select", "selected_conversation": CHANNEL}
        },
    }
    assert _submit(world, view, values) == {}
    started = world.emulator.wait_for(
        "chat.postMessage", lambda c: "Asked: import families" in str(c.args.get("text"))
    )
    assert started.args["channel"] == CHANNEL and not started.args.get("thread_ts")
    thread = next(m.ts for m in world.emulator.messages(CHANNEL) if "Asked:" in m.text)
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    job = _job(world, thread)
    assert job.requester.id == "U_ADA" and job.text == (
        "import families/people.csv into database families"
    )
    assert "families" in json.dumps(understanding.blocks)
    _write_calls(world, tmp_path)


def test_a_failure_is_said_in_plain_words_with_retry_and_edit_request(world, tmp_path):
    """A filter comparing a number with a word fails in DuckDB ("Conversion Error: …"); a path
    outside the data roots names the roots. Neither shows the engine's jargon or a server path."""
    world.start_worker()
    thread = world.mention(
        'import families/people.csv into database families table people where age >= "x"'
    )
    actions = (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN, ids.RETRY)
    failed = None
    for _ in range(6):
        deadline = time.monotonic() + 90
        while failed is None and time.monotonic() < deadline:
            newest = world.thread(thread)[-1] if world.thread(thread) else None
            if newest is not None and has_action(newest.blocks, ids.RETRY):
                failed = newest
            elif newest is not None and any(has_action(newest.blocks, a) for a in actions[:3]):
                break
            time.sleep(0.1)
        if failed is not None:
            break
        action = next(a for a in actions[:3] if has_action(newest.blocks, a))
        world.click(newest, action)
        world.emulator.wait_for("chat.update", lambda c, ts=newest.ts: c.args.get("ts") == ts)
    assert failed is not None, world.workers.logs()[-3000:]
    said = json.dumps(failed.blocks) + failed.text
    assert "could not be converted to its column's type: 'x' is not a whole number" in said
    assert "Conversion Error" not in said and str(world.place) not in said
    assert has_action(failed.blocks, ids.EDIT_FAILED_REQUEST)

    outside = world.mention("import /etc/importbot/people.csv into database families")
    world.click(world.wait_message(outside, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    refused = world.wait_message(outside, ids.RETRY)
    said = json.dumps(refused.blocks) + refused.text
    assert "outside the allowed data roots" in said
    assert str(world.place) not in said and "/etc/importbot" not in said
    _write_calls(world, tmp_path)


def test_retry_after_a_failure_goes_on_to_the_review(world):
    """The failed step runs again on Retry and the job goes on through every stage to its
    review, where Merge is offered; the failure's ❌ gives way."""
    world.start_worker()
    thread = world.mention("import families/later.csv into database families")
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    failed = world.wait_message(thread, ids.RETRY)
    assert "later.csv" in json.dumps(failed.blocks) and str(world.place) not in failed.text
    (world.place / "data" / "families" / "later.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    assert world.click(failed, ids.RETRY) == 200
    for action in (ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    review = world.wait_message(thread, ids.MERGE)
    job = _job(world, thread)
    assert job.status == Status.AWAITING_REVIEW and job.error is None
    assert "2 rows added" in json.dumps(review.blocks) or "+2" in json.dumps(review.blocks)
