"""The Slack Web API client every process uses."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.slack.settings import SlackSettings


def web_client(slack: SlackSettings) -> WebClient:
    """Slack's Web API (or SLACK_API_URL), retrying 429s after Retry-After."""
    return WebClient(
        token=slack.bot_token,
        base_url=slack.api_url or WebClient.BASE_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
