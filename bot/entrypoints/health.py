"""Which health checks a setup needs, composed from the settings: `importbot doctor` asks
everything, the Slack bot's `/healthz` what the bot itself needs (Redis and the database).

A part the chosen setup does not use is reported "not used" and never fails: the embedded
default (doltlite, no IMPORTBOT_REDIS_URL, no model) needs only its database directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from celery import Celery

from agents.llm.settings import OPENAI_API_URL, settings_from_env
from bot.entrypoints.llm import ProviderError, provider_name
from bot.entrypoints.settings import Settings
from bot.entrypoints.worker import DEFAULT_REDIS_URL, routing_for
from workers import health
from workers.file_store import FileJobStore
from workers.health import Check, Report
from workers.job_store import JobStore
from workers.redis_store import RedisJobStore

CheckStep = tuple[str, Callable[[], Check]]


def doctor(settings: Settings, *, cwd: Path | None = None, worker_timeout: float = 1.0) -> Report:
    """Every part: the database, Redis, the workers and their queues, the model endpoint, the
    watchdog and the oldest open job."""
    url = settings.redis_url
    redis_check = health.redis_ping(url) if url else None
    redis_up = redis_check is not None and redis_check.ok
    steps: list[CheckStep] = [
        ("database", lambda: health.database(settings.dolt_url, cwd=cwd)),
        ("redis", lambda: redis_check or _no_redis("redis", settings)),
        ("workers", lambda: _workers(settings, up=redis_up, timeout=worker_timeout)),
        ("model", lambda: model(settings)),
        ("watchdog", lambda: _watchdog(settings, up=redis_up)),
        ("oldest job", lambda: _oldest_job(settings, up=redis_up, cwd=cwd)),
    ]
    return health.gather(steps)


def bot_health(settings: Settings) -> Callable[[], Report]:
    """What `/healthz` asks on every request: the parts the bot cannot take requests without.
    The bot keeps its jobs in Redis (the default URL when none is set)."""
    redis_url = settings.redis_url or DEFAULT_REDIS_URL

    def check() -> Report:
        return health.gather(
            [
                ("redis", lambda: health.redis_ping(redis_url)),
                ("database", lambda: health.database(settings.dolt_url)),
            ]
        )

    return check


def model(settings: Settings) -> Check:
    """The model endpoint of IMPORTBOT_LLM: asked when `openai`, the model file when `local`."""
    environ = settings.environ
    try:
        provider = provider_name(environ)
    except ProviderError as error:
        return Check("model", False, str(error))
    if provider == "off":
        return health.not_used(
            "model", "IMPORTBOT_LLM is off: requests are read by the grammar and the baseline"
        )
    if provider == "local":
        return _local_model(environ)
    llm = settings_from_env(environ)
    if llm is None:
        return Check(
            "model", False, "IMPORTBOT_LLM=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL)."
        )
    return health.model_endpoint(
        llm.base_url or OPENAI_API_URL, api_key=llm.api_key, models=llm.models
    )


def _local_model(environ: Mapping[str, str]) -> Check:
    from agents.llm.local_model import DEFAULT_MODEL, MODELS, cached_model, default_cache_dir

    configured = environ.get("IMPORTBOT_LOCAL_MODEL")
    spec = MODELS[DEFAULT_MODEL]
    path = (
        Path(configured) if configured else cached_model(spec, cache_dir=default_cache_dir(environ))
    )
    if path is None or not path.is_file():
        where = configured or str(default_cache_dir(environ))
        return Check(
            "model",
            False,
            f"no local model {spec.name} at {where}: run `importbot model fetch` or set "
            "IMPORTBOT_LOCAL_MODEL.",
        )
    return Check("model", True, f"local model {path} (started in-process when a step needs it)")


def _no_redis(name: str, settings: Settings) -> Check:
    return health.not_used(
        name,
        "no IMPORTBOT_REDIS_URL: the terminal runs each step in its own process and keeps "
        f"the jobs in {settings.jobs_dir}",
    )


def _redis_down(name: str) -> Check:
    """A part behind Redis: unknown while Redis is down, which is the failure to report."""
    return Check(name, False, "unknown: cannot be asked while Redis is down", needed=False)


def _workers(settings: Settings, *, up: bool, timeout: float) -> Check:
    url = settings.redis_url
    if not url:
        return _no_redis("workers", settings)
    if not up:
        return _redis_down("workers")
    app = Celery("importbot-doctor", broker=url)
    app.conf.broker_connection_timeout = health.TIMEOUT_SECONDS
    broker = health.redis_client(url)
    try:
        return health.workers(
            app, queues=routing_for(settings).all_queues(), broker=broker, timeout=timeout
        )
    finally:
        broker.close()
        app.close()


def _watchdog(settings: Settings, *, up: bool) -> Check:
    url = settings.redis_url
    if not url:
        return health.not_used("watchdog", "jobs run in the terminal that started them")
    if not up:
        return _redis_down("watchdog")
    client = health.redis_client(url)
    try:
        return health.watchdog(client)
    finally:
        client.close()


def _oldest_job(settings: Settings, *, up: bool, cwd: Path | None) -> Check:
    url = settings.redis_url
    if not url:
        store: JobStore = FileJobStore((cwd or Path.cwd()) / settings.jobs_dir)
        return health.oldest_open_job(store)
    if not up:
        return _redis_down("oldest job")
    client = health.redis_client(url)
    try:
        return health.oldest_open_job(RedisJobStore(client))
    finally:
        client.close()
