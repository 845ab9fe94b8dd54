"""Issue 15, points 3 and 5, in the Slack emulator world (real Redis, a real worker): chatter in
a job's thread is left alone, the requester's clear change revises, a reply that is none of a
question's choices is asked about once; ephemerals appear in the thread where the person acted;
a changes modal is answered in the modal when it cannot be taken."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.messages import actions as ids
from tests.e2e.slack_world import CHANNEL, SECRET, SlackWorld
from tests.fakes import slack_requests as slack

REQUEST = "import families/people.csv into database families table people where age >= 21"
QUIET_SECONDS = 3.0
"""How long the thread must stay as it was after chatter (a decision answers within a second)."""


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _job(world, thread_ts):
    return world.intake.store.find_by_thread(CHANNEL, thread_ts)


def _newer(world, thread_ts, action_id, than, *, timeout: float = 90.0):
    """The newest message with `action_id` that is not `than` (the old version may fold away,
    losing its buttons, or stay)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = world.wait_message(thread_ts, action_id, timeout=timeout)
        if message.ts != than.ts:
            return message
        time.sleep(0.1)
    raise AssertionError(f"no newer message with {action_id} than {than.ts}")


def _said(world, thread_ts):
    """What the thread shows: every message, as edited last."""
    return [(m.ts, m.text, json.dumps(m.blocks)) for m in world.thread(thread_ts)]


def _ephemerals(world, user):
    return [e for e in world.emulator.ephemerals() if e.get("user") == user]


def _save_calls(world, tmp_path, people: list[dict]):
    """The bot's calls and what people wrote, for slack-preview."""
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls + people, default=str))


def _say(world, people: list[dict], thread: str, text: str, *, user: str = "U_ADA") -> None:
    """A person's reply in the thread, remembered for the picture."""
    world.reply(thread, text, user=user)
    at = time.time()
    args = {"channel": CHANNEL, "user": user, "text": text, "ts": f"{at:.6f}", "thread_ts": thread}
    people.append({"method": "message", "at": at, "args": args})


def _ask(world, people: list[dict], text: str) -> str:
    thread = world.mention(text)
    args = {"channel": CHANNEL, "user": "U_ADA", "text": f"<@UBOT> {text}", "ts": thread}
    people.append({"method": "message", "at": time.time(), "args": args})
    return thread


def _submit(world, view, change: str) -> tuple[int, dict]:
    submitted = slack.view_submission(
        user="U_ADA",
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={"feedback": {"feedback": {"type": "plain_text_input", "value": change}}},
    )
    status, answer, _ = slack.post_signed(
        world.url, slack.interactive_body(submitted), secret=SECRET, content_type=slack.FORM
    )
    return status, json.loads(answer) if answer.strip() else {}


def test_chatter_is_left_alone_and_the_requesters_change_revises_the_schema(world, tmp_path):
    people: list[dict] = []
    world.start_worker()
    thread = _ask(world, people, REQUEST)
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    first = world.wait_message(thread, ids.APPROVE_SCHEMA)
    before, job_before = _said(world, thread), _job(world, thread)

    _say(world, people, thread, "looks good to me")
    _say(world, people, thread, "thanks Grace!")
    # a colleague's comment is left alone; their change is refused once (they may not change it)
    _say(world, people, thread, "I would check the ages with HR first", user="U_EVE")
    _say(world, people, thread, "use email as the key", user="U_EVE")
    _say(world, people, thread, "and no foreign keys", user="U_EVE")
    time.sleep(QUIET_SECONDS)
    assert _said(world, thread) == before  # no answer, nothing edited
    job = _job(world, thread)
    assert (job.status, job.pending, job.audit) == (
        job_before.status,
        job_before.pending,
        job_before.audit,
    )
    assert [v.version for v in job.artifacts["schema"]] == [1]
    assert _ephemerals(world, "U_ADA") == []
    (refusal,) = _ephemerals(world, "U_EVE")
    assert refusal["thread_ts"] == thread and refusal["channel"] == CHANNEL
    assert "Only the requester (<@U_ADA>) or an importer can" in refusal["text"]

    world.click(first, ids.APPROVE_SCHEMA, user="U_EVE")  # a click refused: in the thread too
    world.emulator.wait_for("chat.postEphemeral", lambda c: len(_ephemerals(world, "U_EVE")) > 1)
    assert [e["thread_ts"] for e in _ephemerals(world, "U_EVE")] == [thread, thread]

    _say(world, people, thread, "use id as the key")  # the requester's change, read by the grammar
    second = _newer(world, thread, ids.APPROVE_SCHEMA, first)
    assert "PRIMARY KEY (`id`)" in json.dumps(second.blocks)
    job = _job(world, thread)
    assert [v.version for v in job.artifacts["schema"]] == [1, 2]
    assert job.request().key == ["id"]
    _save_calls(world, tmp_path, people)


def test_a_reply_that_is_none_of_the_choices_is_asked_about_once(world, tmp_path):
    from tests.fakes.openai_server import ScriptedOpenAI
    from tests.fakes.scripted_import import grown_ups_script

    script = grown_ups_script(data_root=world.place / "data", scratch=world.place / "scratch")
    people: list[dict] = []
    with ScriptedOpenAI(script) as model:
        world.start_worker(**model.client_env)
        thread = _ask(world, people, "bring in the grown-ups from the people file of families")
        understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
        world.click(understanding, ids.CONFIRM_UNDERSTANDING)
        world.wait_message(thread, ids.SUBMIT_ANSWERS)
        before = _said(world, thread)

        _say(world, people, thread, "the phone number")  # not one of id, name
        world.emulator.wait_for("chat.postEphemeral")
        _say(world, people, thread, "or maybe the address")  # asked already: left alone
        _say(world, people, thread, "thanks!")
        time.sleep(QUIET_SECONDS)
        (asked,) = _ephemerals(world, "U_ADA")
        assert asked["thread_ts"] == thread
        assert "not one of the choices (`id`, `name`)" in asked["text"]
        assert _said(world, thread) == before
        assert _job(world, thread).answers == {}

        _say(world, people, thread, "name")  # a choice answers the question
        world.wait_message(thread, ids.APPROVE_SCHEMA)
    assert _job(world, thread).answers == {"people_key": "name"}
    _save_calls(world, tmp_path, people)


def test_the_changes_modal_is_answered_in_the_modal_and_shows_the_schema(world, tmp_path):
    people: list[dict] = []
    world.start_worker()
    thread = _ask(world, people, REQUEST)
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    schema = world.wait_message(thread, ids.APPROVE_SCHEMA)
    world.click(schema, ids.CHANGE_SCHEMA)
    view = world.emulator.wait_for("views.open").args["view"]
    assert view["title"]["text"] == "Change the schema"  # "schema proposal" is 26 characters
    shown = json.dumps(view["blocks"])
    assert "The schema proposal (version 1):" in shown and "`people` (new): id" in shown
    before = _job(world, thread)

    status, answer = _submit(world, view, "   ")
    assert status == 200
    assert answer == {
        "response_action": "errors",
        "errors": {"feedback": "Say what should change."},
    }
    status, answer = _submit(world, view, "make it prettier")  # no model, the grammar cannot
    assert answer["response_action"] == "errors"
    assert "need a language model" in answer["errors"]["feedback"]
    time.sleep(1.0)
    job = _job(world, thread)
    assert (job.status, job.pending, job.audit) == (before.status, before.pending, before.audit)
    assert world.emulator.ephemerals() == []

    status, answer = _submit(world, view, "no foreign keys, use id as the key")
    assert (status, answer) == (200, {})  # taken: the modal closes
    second = _newer(world, thread, ids.APPROVE_SCHEMA, schema)
    assert "PRIMARY KEY (`id`)" in json.dumps(second.blocks)

    status, answer = _submit(world, view, "key name")  # the modal of version 1, now replaced
    assert answer["response_action"] == "errors"
    assert "was replaced (version 2 is current)" in answer["errors"]["feedback"]
    _save_calls(world, tmp_path, people)


def test_the_bot_reads_from_its_environment_whether_a_model_takes_changes(place, workers, redis_db):
    # IMPORTBOT_LLM=off: the modal refuses at once a change the grammar cannot read
    worlds = [
        SlackWorld(place, workers),
        SlackWorld(place, workers, IMPORTBOT_LLM="openai", OPENAI_API_KEY="sk-test"),
    ]
    try:
        assert [w.intake.reads_changes_with_model for w in worlds] == [False, True]
    finally:
        for built in worlds:
            built.close()
