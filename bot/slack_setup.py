"""Composes the Slack bot process and the Slack side of workers from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from celery import Celery
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings
from bot.slack_directory import SlackDirectory
from bot.slack_intake import SlackIntake
from bot.slack_settings import SlackSettings
from bot.worker_setup import DEFAULT_REDIS_URL, job_store, routing_for
from workers.celery_scheduler import CeleryScheduler
from workers.permissions import Permissions


def web_client(slack: SlackSettings) -> WebClient:
    """The Web API client: Slack's (or SLACK_API_URL), retrying 429s after Retry-After."""
    client = WebClient(
        token=slack.bot_token,
        **({"base_url": slack.api_url} if slack.api_url else {}),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    return client


def permissions(settings: Settings, directory: SlackDirectory | None) -> Permissions:
    return Permissions(
        importers=settings.importers,
        mergers=settings.mergers,
        require_second_approver=settings.require_second_approver,
        members_of=directory.members_of if directory else (lambda group: frozenset()),
    )


def build_intake(environ: Mapping[str, str], *, socket: bool = False) -> tuple[SlackIntake, str]:
    """The intake and the signing secret; refuses to start with missing or placeholder
    secrets (SlackSettingsError)."""
    settings = Settings.from_environment(environ)
    slack = SlackSettings.from_environment(settings.environ, socket=socket)
    client = web_client(slack)
    directory = SlackDirectory(client)
    identity = client.auth_test()
    intake = SlackIntake(
        store=job_store(settings),
        scheduler=CeleryScheduler(
            Celery("importbot-bot", broker=settings.redis_url or DEFAULT_REDIS_URL),
            routing_for(settings),
        ),
        client=client,
        directory=directory,
        permissions=permissions(settings, directory),
        bot_user_id=identity["user_id"],
        bot_id=identity.get("bot_id"),
        team_id=identity.get("team_id"),
    )
    return intake, slack.signing_secret
