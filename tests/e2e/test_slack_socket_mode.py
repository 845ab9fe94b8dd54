"""Socket Mode: the same app over a WebSocket to (an emulated) Slack — events and clicks are
acknowledged by envelope, redeliveries make one job."""

from __future__ import annotations

import pytest

from bot.slack.messages import actions as ids
from tests.e2e.slack_world import CHANNEL, SlackWorld
from tests.fakes import slack_requests as slack
from tests.fakes.slack_socket import SlackSocketServer
from tests.workers.conftest import wait_for_status
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def socket_world(place, workers, redis_db):
    with SlackSocketServer() as socket_mode:
        world = SlackWorld(place, workers, socket_url=socket_mode.url)
        world.socket_server = socket_mode
        yield world
        world.close()


def test_a_request_and_a_click_over_socket_mode(socket_world):
    world, server = socket_world, socket_world.socket_server
    server.wait_connected()
    world.start_worker()
    mention = slack.app_mention(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700000888.000100"
    )
    body = slack.event_callback(mention, event_id="EvSocket")
    first = server.deliver("events_api", body)
    server.wait_for_ack(first)
    again = server.deliver("events_api", body, retry_attempt=1)  # Slack redelivers
    server.wait_for_ack(again)

    understanding = world.wait_message("1700000888.000100", ids.CONFIRM_UNDERSTANDING)
    (job,) = world.intake.store.jobs()
    click = slack.block_actions(
        user="U_ADA",
        channel=CHANNEL,
        message_ts=understanding.ts,
        action_id=ids.CONFIRM_UNDERSTANDING,
        value=next(
            e["value"]
            for b in understanding.blocks
            if b.get("type") == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.CONFIRM_UNDERSTANDING
        ),
        message_blocks=understanding.blocks,
    )
    clicked = server.deliver("interactive", click)
    server.wait_for_ack(clicked)
    wait_for_status(world.intake.store, job.id, Status.AWAITING_SCHEMA_APPROVAL)
    assert len(world.intake.store.jobs()) == 1
    assert [c.method for c in world.emulator.calls("apps.connections.open")]
