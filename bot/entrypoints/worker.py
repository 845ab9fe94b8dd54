"""Composes a worker process: job store, database server, scheduler, model, ports, permissions.

Registered with `workers.worker_context` by `importbot worker`; each worker process builds its
own after the fork.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path

from celery import Celery

from agents.sources.resolve import SourcePolicy
from bot.entrypoints.llm import ProviderError, open_llm
from bot.entrypoints.settings import Settings, use_process_limits
from bot.slack.client import web_client
from bot.slack.directory import SlackDirectory
from bot.slack.files import download_attachment
from bot.slack.home_board import HomeBoard
from bot.slack.port import SlackPort
from bot.slack.settings import SlackSettings
from dolt import open_server
from dolt.interface import DoltServer
from workers.celery_app import app
from workers.celery_scheduler import CeleryScheduler
from workers.context import StageContext
from workers.conversation import ConversationPort
from workers.heartbeats import RedisHeartbeats
from workers.job import Attachment, Job
from workers.permissions import Permissions
from workers.recording_port import RedisRecordingPort
from workers.redis_store import RedisJobStore
from workers.routing import Routing
from workers.waiting import ReminderSettings
from workers.watchdog import WatchdogSettings, start_watchdog

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def routing_for(settings: Settings) -> Routing:
    return Routing(
        embedded=settings.dolt_url.startswith("doltlite"),
        doltlite_shards=settings.doltlite_shards,
    )


def job_store(settings: Settings) -> RedisJobStore:
    return RedisJobStore.from_url(
        settings.redis_url or DEFAULT_REDIS_URL, lock_ttl_seconds=settings.lock_ttl_seconds
    )


def build_context(environ: Mapping[str, str]) -> tuple[StageContext, Permissions]:
    settings = Settings.from_environment(environ)
    use_process_limits(settings)
    store = job_store(settings)
    resources = contextlib.ExitStack()
    atexit.register(resources.close)
    model_problem: str | None = None
    try:
        llm = resources.enter_context(open_llm(settings.environ))
    except ProviderError as error:  # the steps that need the model fail, saying so
        llm, model_problem = None, str(error)
    server = resources.enter_context(open_server(settings.dolt_url))
    port_for, fetch, directory = _ports(settings, store)
    context = StageContext(
        store=store,
        server=server,
        policy=SourcePolicy.from_env(settings.environ, cwd=Path.cwd()),
        jobs_dir=settings.jobs_dir.resolve(),
        scheduler=CeleryScheduler(app, routing_for(settings)),
        port_for=port_for,
        llm=llm,
        fetch_attachment=fetch,
        heartbeats=heartbeats(settings, store),
        model_problem=model_problem,
    )
    return context, permissions(settings, directory)


def heartbeats(settings: Settings, store: RedisJobStore) -> RedisHeartbeats:
    return RedisHeartbeats(store.redis, every_seconds=settings.heartbeat_every_seconds)


def watchdog_settings(settings: Settings) -> WatchdogSettings:
    return WatchdogSettings(
        every_seconds=settings.watchdog_every_seconds,
        stale_after_seconds=settings.heartbeat_stale_seconds,
        max_restarts=settings.step_restarts,
        reminders=reminder_settings(settings),
    )


def reminder_settings(settings: Settings) -> ReminderSettings:
    """When jobs waiting for a person are reminded, and reviews nobody decided expire."""
    return ReminderSettings(
        remind_after_seconds=settings.remind_after_seconds,
        expire_after_seconds=settings.expire_after_seconds,
        mergers=settings.mergers,
        importers=settings.importers,
    )


def start_process_watchdog(settings: Settings) -> None:
    """Every worker process watches (one round per interval across them all, by a Redis
    lock); its context is the one its tasks use, built on first need."""
    from workers import worker_context

    start_watchdog(
        lambda: worker_context.current()[0],
        heartbeats(settings, job_store(settings)),
        watchdog_settings(settings),
    )


def operator_context(settings: Settings, server: DoltServer) -> StageContext:
    """What `importbot cancel` and `retry` decide with on a Redis job: the workers' store,
    queues and conversation ports (the decision is told where the job lives), no model."""
    store = job_store(settings)
    port_for, _, _ = _ports(settings, store)
    return StageContext(
        store=store,
        server=server,
        policy=SourcePolicy.from_env(settings.environ, cwd=Path.cwd()),
        jobs_dir=settings.jobs_dir.resolve(),
        scheduler=CeleryScheduler(_sender(settings), routing_for(settings)),
        port_for=port_for,
    )


def _sender(settings: Settings) -> Celery:
    """A Celery app sending to `settings`' Redis (the process-wide `app` reads the broker from
    this process's environment when first imported, which `settings` may not be)."""
    if (settings.redis_url or DEFAULT_REDIS_URL) == app.conf.broker_url:
        return app
    return Celery("importbot-operator", broker=settings.redis_url or DEFAULT_REDIS_URL)


def _ports(
    settings: Settings, store: RedisJobStore
) -> tuple[
    Callable[[Job], ConversationPort],
    Callable[[Attachment, Path], Path] | None,
    SlackDirectory | None,
]:
    """Which port tells a job's conversation: Slack's for Slack jobs, else the recording."""
    recording = RedisRecordingPort(store.redis)
    slack_port, fetch, directory = _slack_parts(settings, store)

    def port_for(job: Job) -> ConversationPort:
        return slack_port if job.place.kind == "slack" and slack_port else recording

    return port_for, fetch, directory


def permissions(settings: Settings, directory: SlackDirectory | None) -> Permissions:
    return Permissions(
        importers=settings.importers,
        mergers=settings.mergers,
        require_second_approver=settings.require_second_approver,
        members_of=directory.members_of if directory else (lambda group: frozenset()),
    )


def _slack_parts(
    settings: Settings, store: RedisJobStore
) -> tuple[SlackPort | None, Callable[[Attachment, Path], Path] | None, SlackDirectory | None]:
    """The Slack port, attachment download and directory, when Slack is configured."""
    if not settings.environ.get("SLACK_BOT_TOKEN"):
        return None, None, None
    slack = SlackSettings.from_environment(settings.environ)
    client = web_client(slack)

    def fetch(attachment: Attachment, folder: Path) -> Path:
        assert attachment.url is not None  # only attachments recorded by URL are fetched
        return download_attachment(
            attachment.url,
            attachment.name,
            folder=folder,
            token=slack.bot_token,
            hosts=slack.file_hosts,
        )

    directory = SlackDirectory(client)
    port = SlackPort(
        client,
        store.redis,
        mergers=settings.mergers,
        broadcast_outcome=settings.broadcast_outcome,
        notify_mergers=settings.notify_mergers,
        members_of=directory.members_of,
        homes=HomeBoard(client, store, permissions(settings, directory)),
    )
    return port, fetch, directory
