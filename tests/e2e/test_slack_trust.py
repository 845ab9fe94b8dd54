"""What the Slack bot may trust, end to end (signed requests, a real worker, the real Redis, the
Slack Web API emulator): only its own workspace and app, every attachment of a message (two of
one name included), and never a password a person typed in a URL."""

from __future__ import annotations

import base64
import json
import time

from bot.slack.messages import actions as ids
from tests.e2e.slack_world import CHANNEL, SECRET, button_value
from tests.e2e.test_slack_bot import REQUEST, _database, _job, _to_review, world
from tests.e2e.test_slack_socket_mode import socket_world
from tests.fakes import slack_requests as slack
from tests.workers.conftest import wait_for_status
from workers.states import Status

OTHER_TEAM = {"team": {"id": "T0THEM", "domain": "elsewhere"}}
OTHER_APP = {"api_app_id": "A0THEIRS"}
__all__ = ["socket_world", "world"]  # the fixtures: Slack over HTTP and over Socket Mode


def _post_interaction(world, payload: dict) -> int:
    status, _, _ = slack.post_signed(
        world.url, slack.interactive_body(payload), secret=SECRET, content_type=slack.FORM
    )
    return status


def _post_command(world, fields: dict) -> int:
    status, _, _ = slack.post_signed(
        world.url, slack.form_body(fields), secret=SECRET, content_type=slack.FORM
    )
    return status


def _confirm_click(world, message, thread: str) -> dict:
    return slack.block_actions(
        user="U_ADA",
        channel=CHANNEL,
        message_ts=message.ts,
        action_id=ids.CONFIRM_UNDERSTANDING,
        value=button_value(message.blocks, ids.CONFIRM_UNDERSTANDING),
        message_blocks=message.blocks,
        thread_ts=thread,
    )


# -- one workspace, one app ---------------------------------------------------------------
def test_clicks_modals_commands_and_events_labelled_for_another_workspace_or_app_are_refused(
    world,
):
    world.start_worker()
    thread = world.mention(REQUEST)
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    job = _job(world, thread)
    click = _confirm_click(world, understanding, thread)
    modal = slack.view_submission(
        user="U_ADA",
        callback_id=ids.CHANGES_MODAL_CALLBACK,
        private_metadata=button_value(understanding.blocks, ids.EDIT_UNDERSTANDING),
        values={"feedback": {"feedback": {"type": "plain_text_input", "value": "key id"}}},
    )
    command = slack.slash_command(user="U_ADA", channel=CHANNEL, text=REQUEST)
    mention = slack.app_mention(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700009999.000100"
    )
    posted_before = len(world.emulator.calls("chat.postMessage"))
    statuses = []
    for label in (OTHER_TEAM, OTHER_APP):
        statuses.append(_post_interaction(world, click | label))
        statuses.append(_post_interaction(world, modal | label))
    statuses.append(_post_command(world, command | {"team_id": "T0THEM"}))
    statuses.append(_post_command(world, command | OTHER_APP))
    for team, app in (("T0THEM", "A0001"), ("T0001", "A0THEIRS")):
        event = slack.event_callback(mention, event_id=f"Ev{team}", team_id=team, api_app_id=app)
        status, _, _ = slack.post_signed(
            world.url, slack.json_body(event), secret=SECRET, content_type=slack.JSON
        )
        statuses.append(status)
    assert statuses == [403] * 8
    time.sleep(1.5)  # a decision that got through would have moved the job by now
    assert _job(world, thread).status == Status.AWAITING_CONFIRMATION
    assert [j.id for j in world.intake.store.jobs()] == [job.id]  # no job from them
    assert len(world.emulator.calls("chat.postMessage")) == posted_before
    assert world.emulator.calls("views.open") == []

    assert _post_interaction(world, click) == 200  # the same click, from here, goes through
    wait_for_status(world.intake.store, job.id, Status.AWAITING_SCHEMA_APPROVAL)


def test_over_socket_mode_a_click_for_another_workspace_is_acknowledged_and_dropped(
    socket_world,
):
    world, server = socket_world, socket_world.socket_server
    server.wait_connected()
    world.start_worker()
    mention = slack.app_mention(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700000889.000100"
    )
    server.wait_for_ack(server.deliver("events_api", slack.event_callback(mention, event_id="Ev1")))
    understanding = world.wait_message("1700000889.000100", ids.CONFIRM_UNDERSTANDING)
    (job,) = world.intake.store.jobs()
    click = _confirm_click(world, understanding, "1700000889.000100")
    for label in (OTHER_TEAM, OTHER_APP):
        server.wait_for_ack(server.deliver("interactive", click | label))  # not sent again
    time.sleep(1.5)
    assert world.intake.store.get(job.id).status == Status.AWAITING_CONFIRMATION
    server.wait_for_ack(server.deliver("interactive", click))
    wait_for_status(world.intake.store, job.id, Status.AWAITING_SCHEMA_APPROVAL)


# -- attachments ----------------------------------------------------------------------------
def test_two_attachments_with_one_name_both_arrive(world, tmp_path):
    world.start_worker()
    first = world.emulator.add_file("people.csv", b"id,name\n1,Ada\n2,Grace\n")
    second = world.emulator.add_file("people.csv", b"id,name\n3,Eve\n")
    thread = world.mention(
        "import people.csv into database crew table people", files=[first, second]
    )
    _to_review(world, thread)
    job = _job(world, thread)
    assert [a.name for a in job.attachments] == ["people.csv", "people-2.csv"]
    paths = [a.path or "" for a in job.attachments]
    assert len(set(paths)) == 2 and all(p.startswith(str(world.place / "jobs")) for p in paths)
    assert _database(world, "crew").count_rows(table="people", ref=job.branch) == 3
    _record_calls(world, tmp_path)


# -- passwords in URLs ----------------------------------------------------------------------
PASSWORD = "s3cr@t-Tr0ub4dor"
LEAKS = ("Tr0ub4dor", "s3cr")


def test_a_password_typed_in_a_url_is_never_echoed_or_stored(world, redis_db, tmp_path):
    url = f"https://ada:{PASSWORD}@files.example.com/exports/people.csv"
    worker = world.start_worker()
    failed = world.mention(f"import {url} into database shop")
    understanding = world.wait_message(failed, ids.CONFIRM_UNDERSTANDING)
    assert "https://ada:***@files.example.com/exports/people.csv" in json.dumps(
        understanding.blocks
    )
    world.click(understanding, ids.CONFIRM_UNDERSTANDING)  # its download fails, saying why
    wait_for_status(world.intake.store, _job(world, failed).id, Status.FAILED)
    world.wait_text(failed, "failed")

    waiting = world.mention(REQUEST)
    understanding = world.wait_message(waiting, ids.CONFIRM_UNDERSTANDING)
    world.workers.kill(worker)  # what is enqueued from now on stays in Redis to be read
    world.reply(waiting, f"also import {url}")
    modal = slack.view_submission(
        user="U_ADA",
        callback_id=ids.CHANGES_MODAL_CALLBACK,
        private_metadata=button_value(understanding.blocks, ids.EDIT_UNDERSTANDING),
        values={"feedback": {"feedback": {"type": "plain_text_input", "value": f"use {url}"}}},
    )
    assert _post_interaction(world, modal) == 200
    command = slack.slash_command(user="U_ADA", channel=CHANNEL, text=f"{url} into shop")
    assert _post_command(world, command) == 200
    world.emulator.wait_for("chat.postMessage", lambda c: "/import" in str(c.args.get("text")))
    deadline = time.monotonic() + 10
    while len(world.intake.store.jobs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(world.intake.store.jobs()) == 3
    _wait_enqueued(redis_db, "also import", "use https")

    stored, said = _redis_text(redis_db), _emulator_text(world)
    assert "ada:***@files.example.com" in stored and "ada:***@files.example.com" in said
    for leak in LEAKS:
        assert leak not in stored, f"{leak!r} is stored in Redis"
        assert leak not in said, f"{leak!r} was sent to Slack"
        assert leak not in world.workers.logs(), f"{leak!r} is in a worker's log"
    _record_calls(world, tmp_path)


def _wait_enqueued(client, *words: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(w in _redis_text(client) for w in words):
        assert time.monotonic() < deadline, f"{words} never reached the broker"
        time.sleep(0.05)


def _emulator_text(world) -> str:
    calls = [{"method": c.method, "args": c.args} for c in world.emulator.calls()]
    return json.dumps(calls, default=str)


def _record_calls(world, folder) -> None:
    """calls.json, for /work/shared/tools/slack-preview."""
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (folder / "calls.json").write_text(json.dumps(calls, default=str))


def _redis_text(client) -> str:
    """Every key and value in the Redis database, with Celery's base64 message bodies decoded."""
    pieces = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        values = {
            "string": lambda k: [client.get(k)],
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: list(client.smembers(k)),
            "zset": lambda k: client.zrange(k, 0, -1),
            "hash": lambda k: [v for pair in client.hgetall(k).items() for v in pair],
        }.get(kind, lambda k: [])(key)
        pieces.append(key.decode(errors="replace"))
        pieces.extend(_with_bodies(v.decode(errors="replace")) for v in values if v is not None)
    return "\n".join(pieces)


def _with_bodies(value: str) -> str:
    """A value, and the decoded body when it is a kombu message (`body` in base64)."""
    start = value.find("{")
    try:
        message = json.loads(value[start:]) if start >= 0 else None
    except ValueError:
        return value
    if isinstance(message, list):  # unacked: [message, exchange, routing key]
        message = message[0] if message and isinstance(message[0], dict) else None
    if not isinstance(message, dict) or "body" not in message:
        return value
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body).decode(errors="replace")
    return f"{value}\n{body}"
