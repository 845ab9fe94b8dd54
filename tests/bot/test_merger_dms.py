"""Issue 15, point 1: the DM to each merger (groups expanded, the requester left out), and a
DM Slack refuses (the app not reinstalled with `im:write`) never breaks the review."""

from __future__ import annotations

from agents.artifacts import Review
from bot.slack.client import web_client
from bot.slack.merger_dms import merger_people, message_mergers
from bot.slack.settings import SlackSettings
from tests.fakes.slack_api import SlackApiEmulator
from workers.job import Job, Person, Place

PEOPLE = {name: {"real_name": name} for name in ("U_ADA", "U_GRACE", "U_EVE", "U_BOB")}
GROUPS = {"S_LEADS": frozenset({"U_GRACE", "U_ADA"})}


def _job() -> Job:
    return Job(
        id="J1",
        requester=Person(id="U_ADA", name="Ada"),
        place=Place(kind="slack", channel="C1", thread_ts="1.1"),
        text="import x into y",
    )


def _review() -> Review:
    return Review(
        job_id="J1",
        database="families",
        branch="import/J1",
        commit="0123456789abcdef0123",
        tables=[],
        rejected_rows=0,
        rejects=[],
    )


def _client(slack: SlackApiEmulator):
    settings = SlackSettings(
        bot_token="xoxb-test-token", signing_secret="s", api_url=slack.base_url
    )
    return web_client(settings)


def test_groups_are_expanded_to_their_members_each_once():
    people = merger_people({"S_LEADS", "U_GRACE", "U_BOB"}, lambda g: GROUPS.get(g, frozenset()))
    assert people == ["U_ADA", "U_BOB", "U_GRACE"]


def test_each_merger_but_the_requester_gets_a_dm_with_the_link():
    with SlackApiEmulator(users=PEOPLE) as slack:
        client = _client(slack)
        review_ts = client.chat_postMessage(channel="C1", thread_ts="1.1", text="review")["ts"]
        sent = message_mergers(
            client,
            _job(),
            _review(),
            review_ts=review_ts,
            mergers={"S_LEADS", "U_BOB"},
            members_of=lambda g: GROUPS.get(g, frozenset()),
        )
        assert sent == ["U_BOB", "U_GRACE"]
        dms = [m for m in slack.messages() if m.channel.startswith("D")]
        assert sorted(m.channel for m in dms) == ["DU_BOB", "DU_GRACE"]
        assert "archives/C1/p" in str(dms[0].blocks)


def test_a_refused_dm_is_logged_not_raised(caplog):
    with SlackApiEmulator(users=PEOPLE) as slack:
        client = _client(slack)
        review_ts = client.chat_postMessage(channel="C1", text="review")["ts"]
        slack.fail("conversations.open", "missing_scope", times=5)
        sent = message_mergers(
            client,
            _job(),
            _review(),
            review_ts=review_ts,
            mergers={"U_GRACE"},
            members_of=lambda g: frozenset(),
        )
        assert sent == []
        assert "missing_scope" in caplog.text
