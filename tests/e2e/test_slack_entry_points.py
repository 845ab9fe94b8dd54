"""Issue 15, point 7: every way in answers. `/import` where the bot is not a member answers
through `response_url`; a handler that raises after the ack tells the person; "hi", "help"
and `/import help` show the help card instead of starting a job that fails. Point 10: the
`/import` echo is escaped and shows no link previews."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.messages import actions as ids
from tests.e2e.slack_world import CHANNEL, SECRET, SlackWorld
from tests.fakes import slack_requests as slack

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _slash(world, text: str, *, channel: str = CHANNEL, user: str = "U_ADA"):
    fields = slack.slash_command(
        user=user, channel=channel, text=text, response_url=world.emulator.response_url()
    )
    return slack.post_signed(
        world.url, slack.form_body(fields), secret=SECRET, content_type=slack.FORM
    )


def _wait(predicate, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("nothing came within the time")


def _is_help_card(blocks: list[dict]) -> bool:
    shown = json.dumps(blocks)
    return all(
        words in shown
        for words in (
            "What I can import",
            "Write the request like this:",
            "import &lt;path|glob|url&gt;",  # the grammar, as the CLI shows it
            "Who may merge:* <!subteam^S_MERGERS>",
            "families/people.csv into database families",
        )
    )


def test_import_where_the_bot_is_not_a_member_answers_through_response_url(world):
    world.emulator.bot_leaves("C0ELSEWHERE")
    status, _, seconds = _slash(world, REQUEST, channel="C0ELSEWHERE")
    assert status == 200 and seconds < 3
    (response,) = _wait(world.emulator.responses)
    assert response["response_type"] == "ephemeral"
    assert "/invite @importbot" in response["text"] and "direct message" in response["text"]
    refused = world.emulator.calls("chat.postMessage")
    assert [c.args["channel"] for c in refused] == ["C0ELSEWHERE"]  # tried once, refused
    time.sleep(0.5)
    assert world.intake.store.jobs() == []


def test_hi_help_and_import_help_show_the_help_card_and_make_no_job(world, tmp_path):
    thread = world.mention("hi")
    card = world.emulator.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == thread)
    assert _is_help_card(card.args["blocks"])

    dm = slack.message_event(
        user="U_EVE", channel="D0EVE", text="help", ts="1700000444.000100", channel_type="im"
    )
    assert world.post_event(dm) == 200
    in_dm = world.emulator.wait_for("chat.postMessage", lambda c: c.args["channel"] == "D0EVE")
    assert _is_help_card(in_dm.args["blocks"])

    for text in ("help", ""):
        status, answer, seconds = _slash(world, text)
        assert status == 200 and seconds < 3
        said = json.loads(answer)  # the ack itself is the card, shown only to the person
        assert said["response_type"] == "ephemeral" and _is_help_card(said["blocks"])

    time.sleep(0.5)
    assert world.intake.store.jobs() == []
    assert len(world.emulator.calls("chat.postMessage")) == 2  # the two cards, nothing else
    calls = [{"method": c.method, "args": c.args, "at": c.at} for c in world.emulator.calls()]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview


def test_a_handler_that_raises_after_the_ack_tells_the_person(world):
    world.start_worker()
    thread = world.mention(REQUEST)
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    world.emulator.fail("views.open", "expired_trigger_id")  # Slack refuses the modal
    assert world.click(understanding, ids.EDIT_UNDERSTANDING) == 200
    told = world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_ADA")
    assert "something went wrong on my side" in told.args["text"]
    assert told.args["channel"] == CHANNEL and told.args.get("thread_ts") == thread
    assert "Traceback" not in told.args["text"] and "expired_trigger_id" not in told.args["text"]

    world.emulator.fail("chat.postMessage", "fatal_error")  # /import cannot start its thread
    status, _, seconds = _slash(world, REQUEST)
    assert status == 200 and seconds < 3
    (response,) = _wait(world.emulator.responses)
    assert "something went wrong on my side" in response["text"]
    assert response["response_type"] == "ephemeral"
    assert len(world.intake.store.jobs()) == 1  # only the mention's

    world.emulator.fail("chat.postMessage", "fatal_error")  # the help card cannot be posted
    asked = world.mention("help", user="U_EVE")
    told = world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_EVE")
    assert "something went wrong on my side" in told.args["text"]
    assert told.args.get("thread_ts") == asked


def test_the_import_echo_is_escaped_and_shows_no_link_previews(world):
    text = "<!channel> https://example.com/x.csv into database shop"
    status, _, _ = _slash(world, text)
    assert status == 200
    echo = world.emulator.wait_for("chat.postMessage")
    shown = json.dumps(echo.args["blocks"])
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "asked: /import &lt;!channel&gt; https://example.com/x.csv into" in shown
    assert echo.args["unfurl_links"] is False and echo.args["unfurl_media"] is False
    (job,) = _wait(world.intake.store.jobs)
    (started,) = world.emulator.messages(CHANNEL)
    assert job.place.thread_ts == started.ts
