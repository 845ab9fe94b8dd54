"""Attachments come only from Slack's file host, with the bot token, within a size limit."""

from __future__ import annotations

import pytest

from agents.errors import SourceError
from bot.slack.files import AttachmentRefused, AttachmentUnavailable, download_attachment
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


def download_people(url: str, folder, *, token: str = "xoxb-test-token"):
    """people.csv from the emulator's host (127.0.0.1)."""
    return download_attachment(
        url, "people.csv", folder=folder, token=token, hosts=frozenset({"127.0.0.1"})
    )


def test_an_attachment_deleted_in_slack_names_the_file_and_the_404(tmp_path):
    with SlackApiEmulator() as slack:
        attached = slack.add_file("people.csv", b"id\n1\n")
        slack.remove_file(attached["id"])
        with pytest.raises(AttachmentUnavailable) as raised:
            download_people(attached["url_private_download"], tmp_path)
    assert isinstance(raised.value, SourceError)  # the job fails with this message
    assert str(raised.value) == (
        "The attachment people.csv could not be downloaded: Slack answered HTTP 404 Not Found "
        "(the file was deleted, or is not shared where the app can see it). Attach it again."
    )
    assert not (tmp_path / "attachments" / "people.csv").exists()


def test_a_refused_token_and_an_unreachable_host_name_the_file(tmp_path):
    with SlackApiEmulator() as slack:
        url = slack.add_file("people.csv", b"id\n1\n")["url_private_download"]
        with pytest.raises(AttachmentUnavailable, match=r"people\.csv .*HTTP 401"):
            download_people(url, tmp_path, token="xoxb-wrong")
    with pytest.raises(AttachmentUnavailable, match=r"people\.csv could not be downloaded from"):
        download_people(url, tmp_path)  # the emulator has stopped: nothing answers
