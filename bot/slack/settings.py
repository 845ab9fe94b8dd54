"""Slack settings from the environment; the app refuses to start without real secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.slack.files import origin

SLACK_FILE_HOST = "files.slack.com:443"
_PLACEHOLDER = re.compile(r"your|change.?me|placeholder|example|^x+$|<|>", re.IGNORECASE)


class SlackSettingsError(ValueError):
    """Missing or placeholder Slack secrets; the message names each variable to set."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], *, socket: bool = False) -> SlackSettings:
        wanted = {
            "SLACK_BOT_TOKEN": "xoxb-",
            "SLACK_SIGNING_SECRET": None,
            **({"SLACK_APP_TOKEN": "xapp-"} if socket else {}),
        }
        problems = []
        for name, prefix in wanted.items():
            value = (environ.get(name) or "").strip()
            if not value:
                problems.append(f"{name} is not set")
            elif _PLACEHOLDER.search(value):
                problems.append(f"{name} still holds a placeholder")
            elif prefix and not value.startswith(prefix):
                problems.append(f"{name} must start with {prefix}")
        if problems:
            raise SlackSettingsError(
                "Slack is not configured: " + "; ".join(problems) + ". Copy them from your "
                "Slack app's settings (see the README, 'Running the Slack bot')."
            )
        api_url = (environ.get("SLACK_API_URL") or "").strip() or None
        return cls(
            bot_token=environ["SLACK_BOT_TOKEN"].strip(),
            signing_secret=environ["SLACK_SIGNING_SECRET"].strip(),
            app_token=(environ.get("SLACK_APP_TOKEN") or "").strip() or None,
            api_url=api_url,
        )

    @property
    def file_hosts(self) -> frozenset[str]:
        """Where attached files may be downloaded from, as `host:port` (`files.origin`):
        Slack's file host on 443, or the configured API host on its own port."""
        api = origin(self.api_url) if self.api_url else None
        return frozenset({SLACK_FILE_HOST, *([api] if api else [])})

    def __repr__(self) -> str:  # secrets never reach logs
        return f"SlackSettings(api_url={self.api_url!r}, socket={self.app_token is not None})"
