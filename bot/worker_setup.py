"""Composes a worker process: job store, database server, scheduler, model, ports, permissions.

Registered with `workers.worker_context` by `importbot worker`; each worker process builds its
own after the fork.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Mapping
from pathlib import Path

from agents.sources import SourcePolicy
from bot.llm_provider import open_llm
from bot.settings import Settings
from dolt import open_server
from workers.celery_app import app
from workers.celery_scheduler import CeleryScheduler
from workers.context import StageContext
from workers.job import Job
from workers.permissions import Permissions
from workers.recording_port import RedisRecordingPort
from workers.redis_store import RedisJobStore
from workers.routing import Routing

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
    store = job_store(settings)
    resources = contextlib.ExitStack()
    atexit.register(resources.close)
    llm = resources.enter_context(open_llm(settings.environ))
    server = resources.enter_context(open_server(settings.dolt_url))
    recording = RedisRecordingPort(store.redis)

    def port_for(job: Job):
        return recording

    context = StageContext(
        store=store,
        server=server,
        policy=SourcePolicy.from_env(settings.environ, cwd=Path.cwd()),
        jobs_dir=settings.jobs_dir.resolve(),
        scheduler=CeleryScheduler(app, routing_for(settings)),
        port_for=port_for,
        llm=llm,
    )
    permissions = Permissions(
        importers=settings.importers,
        mergers=settings.mergers,
        require_second_approver=settings.require_second_approver,
    )
    return context, permissions
