"""Names, emails and group members come from Slack once, then from the cache."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.directory import SlackDirectory
from tests.fakes.slack_api import SlackApiEmulator


def test_people_and_groups_are_looked_up_once_and_cached():
    users = {"U1": {"real_name": "Ada Lovelace", "email": "ada@example.com"}}
    with SlackApiEmulator(users=users, usergroups={"S1": ["U1", "U2"]}) as slack:
        directory = SlackDirectory(WebClient(token="xoxb-test-token", base_url=slack.base_url))
        for _ in range(3):
            person = directory.person("U1")
            members = directory.members_of("S1")
        assert (person.name, person.email) == ("Ada Lovelace", "ada@example.com")
        assert members == {"U1", "U2"}
        assert len(slack.calls("users.info")) == 1
        assert len(slack.calls("usergroups.users.list")) == 1
        assert directory.person("U_UNKNOWN").name == "U_UNKNOWN"  # no such user: the id
