"""Attachments come only from Slack's file host, with the bot token, within a size limit."""

from __future__ import annotations

import pytest

from bot.slack.files import AttachmentRefused, download_attachment
from tests.fakes.slack_api import SlackApiEmulator


def test_a_file_from_the_allowed_host_is_downloaded_with_the_token(tmp_path):
    with SlackApiEmulator() as slack:
        attached = slack.add_file("people.csv", b"id\n1\n")
        path = download_attachment(
            attached["url_private_download"],
            "../../etc/people.csv",  # a hostile name never leaves the attachments folder
            folder=tmp_path,
            token="xoxb-test-token",
            hosts=frozenset({"127.0.0.1"}),
        )
    assert path.read_bytes() == b"id\n1\n"
    assert path.parent == tmp_path / "attachments" and ".." not in path.name


def test_other_hosts_and_oversized_files_are_refused(tmp_path):
    with pytest.raises(AttachmentRefused, match="not on Slack's file host"):
        download_attachment(
            "https://evil.example/x.csv",
            "x.csv",
            folder=tmp_path,
            token="xoxb-t",
            hosts=frozenset({"files.slack.com"}),
        )
    with SlackApiEmulator() as slack:
        attached = slack.add_file("big.csv", b"x" * 5000)
        with pytest.raises(AttachmentRefused, match="larger than"):
            download_attachment(
                attached["url_private"],
                "big.csv",
                folder=tmp_path,
                token="xoxb-test-token",
                hosts=frozenset({"127.0.0.1"}),
                max_bytes=1000,
            )
