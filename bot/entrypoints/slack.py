"""Composes the Slack bot process from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from celery import Celery

from agents.stages.grammar import GRAMMAR
from bot.entrypoints.llm import ProviderError, provider_name
from bot.entrypoints.settings import Settings
from bot.entrypoints.worker import DEFAULT_REDIS_URL, job_store, permissions, routing_for
from bot.slack.client import web_client
from bot.slack.directory import SlackDirectory
from bot.slack.intake import SlackIntake
from bot.slack.settings import SlackSettings
from workers.celery_scheduler import CeleryScheduler


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
        app_id=identity.get("app_id"),
        reads_changes_with_model=_has_a_model(settings.environ),
        grammar=GRAMMAR,
    )
    return intake, slack.signing_secret


def _has_a_model(environ: Mapping[str, str]) -> bool:
    """Whether the workers (configured alike) read changes with a language model; a provider
    that cannot be used counts as one: the worker says what to fix when it is asked."""
    try:
        return provider_name(environ) != "off"
    except ProviderError:
        return True
