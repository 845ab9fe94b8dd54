"""The Slack side of the port: progress edited in place and throttled, rate limits honoured."""

from __future__ import annotations

import time

import pytest
import redis

from bot.slack.client import web_client
from bot.slack.port import SlackPort
from bot.slack.settings import SlackSettings
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from tests.fakes.slack_api import SlackApiEmulator
from workers.job import Job, Person, Place


@pytest.fixture
def slack_and_port():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    with SlackApiEmulator() as slack:
        settings = SlackSettings(
            bot_token="xoxb-test-token", signing_secret="s", api_url=slack.base_url
        )
        yield slack, SlackPort(web_client(settings), client, progress_every=60)
    client.flushdb()


def _job() -> Job:
    return Job(
        id="20261121-abcdef",
        requester=Person(id="U1", name="Ada"),
        place=Place(kind="slack", channel="C1", thread_ts="1.1"),
        text="import x into y",
    )


def test_progress_is_one_message_edited_at_most_every_few_seconds_and_at_the_end(slack_and_port):
    slack, port = slack_and_port
    job = _job()
    for done in range(0, 100_001, 10_000):
        port.progress(job, "numbers", done, 100_000)
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("chat.update")) == 1  # throttled; the final count always goes out
    (message,) = slack.messages("C1")
    assert message.thread_ts == "1.1" and "100,000" in message.text.replace(" ", ",")


def test_a_rate_limited_post_is_retried_after_retry_after(slack_and_port):
    slack, port = slack_and_port
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    port.notice(_job(), "hello")
    assert time.monotonic() - started >= 1.0
    assert [c.rate_limited for c in slack.calls("chat.postMessage")] == [True, False]
