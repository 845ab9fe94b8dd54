"""The emulator answers as Slack does where the bot is not a member, for reactions, for
failures set up by a test, and records what is sent to a slash command's response_url."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import SlackApiEmulator


@pytest.fixture
def slack() -> Iterator[SlackApiEmulator]:
    with SlackApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.base_url)


def _error(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_a_channel_the_bot_left_answers_not_in_channel(slack, client):
    slack.bot_leaves("C2")
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert _error(lambda: client.chat_postMessage(channel="C2", text="hi")) == "not_in_channel"
    assert _error(lambda: client.chat_postEphemeral(channel="C2", user="U1", text="x")) == (
        "not_in_channel"
    )
    assert _error(lambda: client.reactions_add(channel="C2", timestamp="1.000100", name="x")) == (
        "not_in_channel"
    )
    assert [m.channel for m in slack.messages()] == ["C1"]


def test_reactions_are_recorded_once_per_name(slack, client):
    client.reactions_add(channel="C1", timestamp="1.000100", name="white_check_mark")
    assert _error(
        lambda: client.reactions_add(channel="C1", timestamp="1.000100", name="white_check_mark")
    ) == ("already_reacted")
    assert _error(lambda: client.reactions_add(channel="C1", timestamp="1.000100", name=":x:")) == (
        "invalid_name"
    )
    assert slack.reactions("C1", "1.000100") == ["white_check_mark"]


def test_fail_answers_the_error_the_given_number_of_times(slack, client):
    slack.fail("views.open", "expired_trigger_id", times=1)
    assert _error(lambda: client.views_open(trigger_id="t", view={"type": "modal"})) == (
        "expired_trigger_id"
    )
    assert client.views_open(trigger_id="t", view={"type": "modal"})["ok"]


def test_a_response_url_records_what_is_posted(slack):
    url = slack.response_url("7")
    answer = WebhookClient(url).send(text="invite me", response_type="ephemeral")
    assert answer.status_code == 200
    assert slack.responses() == [
        {"path": "/commands/T0001/7/emulated", "text": "invite me", "response_type": "ephemeral"}
    ]
