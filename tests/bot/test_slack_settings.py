"""The bot refuses to start without real Slack secrets, and never shows them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.slack.settings import SlackSettings, SlackSettingsError

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdef", "SLACK_SIGNING_SECRET": "8f2b0c1d9e7a"}


def test_real_secrets_are_read_and_not_shown():
    settings = SlackSettings.from_environment(GOOD)
    assert settings.bot_token == GOOD["SLACK_BOT_TOKEN"]
    assert "xoxb" not in repr(settings) and "8f2b" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "placeholder"),
        ({**GOOD, "SLACK_SIGNING_SECRET": "your-slack-signing-secret"}, "placeholder"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user-token"}, "must start with xoxb-"),
    ],
)
def test_missing_or_placeholder_secrets_are_refused(environ, says):
    with pytest.raises(SlackSettingsError, match=says):
        SlackSettings.from_environment(environ)


def test_socket_mode_needs_an_app_token():
    with pytest.raises(SlackSettingsError, match="SLACK_APP_TOKEN"):
        SlackSettings.from_environment(GOOD, socket=True)
    assert SlackSettings.from_environment(
        {**GOOD, "SLACK_APP_TOKEN": "xapp-1-A1-2-ff"}, socket=True
    ).app_token


def test_only_slacks_file_host_or_the_configured_api_host_serves_attachments():
    """By host and port: another port of either host is another server."""
    assert SlackSettings.from_environment(GOOD).file_hosts == {"files.slack.com:443"}
    local = SlackSettings.from_environment({**GOOD, "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert local.file_hosts == {"files.slack.com:443", "127.0.0.1:9"}
    proxied = SlackSettings.from_environment({**GOOD, "SLACK_API_URL": "https://slack.corp/api/"})
    assert proxied.file_hosts == {"files.slack.com:443", "slack.corp:443"}


def test_importbot_serve_refuses_to_start_with_placeholders(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bot.entrypoints.cli import main; main()",
            "serve",
            "--port",
            "0",
        ],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "SLACK_BOT_TOKEN": "xoxb-your-bot-token",
            "SLACK_SIGNING_SECRET": "your-slack-signing-secret",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "placeholder" in result.stderr and "your-bot-token" not in result.stderr
