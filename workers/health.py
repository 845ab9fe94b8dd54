"""Health of the parts an import needs: each check returns a `Check` that says, in words an
operator can act on, whether the part answers. Plain functions over arguments (URLs, clients,
a job store); which checks a setup needs is decided by the entry point
(`bot.entrypoints.health`), which `importbot doctor` and the bot's `/healthz` share.

The watchdog (issue 13, point 1) proves it is alive by writing the Unix time of its last round
to the Redis key `WATCHDOG_HEARTBEAT_KEY` (`beat_watchdog`); `watchdog` reads it. No key means
no watchdog has ever run on this Redis (reported, not required); a key older than
`WATCHDOG_MAX_AGE` means one ran and stopped (a failure).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import redis
from celery import Celery

from dolt.errors import DoltError
from dolt.urls import DoltliteLocation, MysqlLocation, parse_url
from workers.job import Job, now
from workers.job_store import JobStore
from workers.states import OPEN

TIMEOUT_SECONDS = 2.0
"""How long one check waits for an answer: health must answer faster than a probe gives up."""

WATCHDOG_HEARTBEAT_KEY = "importbot:watchdog:heartbeat"
WATCHDOG_MAX_AGE = 120.0
"""Seconds since the watchdog's last heartbeat after which it counts as stopped."""

NOT_USED = "not used"


@dataclass(frozen=True)
class Check:
    """One part's health. `needed`: a failure makes the whole report fail; a part the setup
    does not use is `ok`, not needed, and says so (`state` "not used")."""

    name: str
    ok: bool
    detail: str
    needed: bool = True
    used: bool = True

    @property
    def state(self) -> str:
        if not self.used:
            return NOT_USED
        return "ok" if self.ok else "down"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "state": self.state}


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Every part the setup needs answers."""
        return all(check.ok for check in self.checks if check.needed)

    @property
    def down(self) -> list[str]:
        """The needed parts that do not answer."""
        return [check.name for check in self.checks if check.needed and not check.ok]

    def as_dict(self) -> dict[str, object]:
        """Everything, details included (`importbot doctor --json`)."""
        return {
            "ok": self.ok,
            "down": self.down,
            "checks": [check.as_dict() for check in self.checks],
        }

    def summary(self) -> dict[str, object]:
        """Names and states only, for a probe that may be reachable from outside (`/healthz`):
        the details name hosts, users and directories."""
        return {
            "ok": self.ok,
            "down": self.down,
            "checks": {check.name: check.state for check in self.checks},
        }


def not_used(name: str, why: str) -> Check:
    return Check(name=name, ok=True, detail=f"{NOT_USED} ({why})", needed=False, used=False)


def gather(checks: Sequence[tuple[str, Callable[[], Check]]]) -> Report:
    """Run each named check in order; one that raises is reported as down with its error."""
    found = []
    for name, run in checks:
        try:
            found.append(run())
        except Exception as error:  # a health check reports, it does not raise
            found.append(Check(name, False, f"the check itself failed: {_first_line(error)}"))
    return Report(tuple(found))


# -- the database ------------------------------------------------------------------------------
def database(url: str, *, timeout: float = TIMEOUT_SECONDS, cwd: Path | None = None) -> Check:
    """Open the configured database URL and list its databases (a relative doltlite directory
    is read against `cwd`)."""
    try:
        location = parse_url(url, cwd=cwd)
    except DoltError as error:
        return Check("database", False, f"{error} Set IMPORTBOT_DOLT_URL or --db.")
    if isinstance(location, DoltliteLocation):
        return _doltlite(location)
    return _sql_server(location, timeout=timeout)


def _doltlite(location: DoltliteLocation) -> Check:
    from dolt.embedded.server import DoltliteServer

    where = f"doltlite at {location.directory}"
    if location.directory.exists() and not location.directory.is_dir():
        return Check(
            "database",
            False,
            f"{where} is a file, not a directory: point IMPORTBOT_DOLT_URL at a directory.",
        )
    try:
        names = DoltliteServer(location).list_databases()
    except (DoltError, OSError) as error:
        return Check("database", False, f"{where} cannot be read: {error}")
    return Check("database", True, f"{where}: {_databases(names)}")


def _sql_server(location: MysqlLocation, *, timeout: float) -> Check:
    from dolt.sqlserver.server import SqlServer

    server = SqlServer(location, connect_timeout=timeout)
    try:
        names = server.list_databases()
    except DoltError as error:
        return Check(
            "database",
            False,
            f"the Dolt sql-server at {location} does not answer ({error}): start it "
            "(`docker-compose up -d dolt`) or fix IMPORTBOT_DOLT_URL.",
        )
    finally:
        server.close()
    return Check("database", True, f"Dolt sql-server at {location}: {_databases(names)}")


def _databases(names: list[str]) -> str:
    if not names:
        return "no databases yet (the first import creates one)"
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return f"{len(names)} database(s): {shown}"


# -- Redis -------------------------------------------------------------------------------------
def redis_address(url: str) -> str:
    """Where a Redis URL points, without its password: `127.0.0.1:6379/0`."""
    parts = urlsplit(url)
    database = parts.path.lstrip("/") or "0"
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}/{database}"


def redis_client(url: str, *, timeout: float = TIMEOUT_SECONDS) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def redis_ping(url: str, *, timeout: float = TIMEOUT_SECONDS) -> Check:
    try:
        where = f"Redis at {redis_address(url)}"
        client = redis_client(url, timeout=timeout)
    except ValueError as error:
        return Check("redis", False, f"IMPORTBOT_REDIS_URL is not a Redis URL: {error}")
    try:
        client.ping()
    except redis.exceptions.AuthenticationError as error:
        return Check(
            "redis",
            False,
            f"{where} refused the credentials ({_first_line(error)}): fix "
            "the password in IMPORTBOT_REDIS_URL.",
        )
    except redis.exceptions.TimeoutError:
        return Check(
            "redis",
            False,
            f"{where} did not answer within {timeout:g} s: check that it runs "
            "and that IMPORTBOT_REDIS_URL names the right host.",
        )
    except redis.exceptions.ConnectionError as error:
        return Check(
            "redis",
            False,
            f"{where} refused the connection ({_first_line(error)}): start it with "
            "`redis-server` (or `make services`) or set IMPORTBOT_REDIS_URL.",
        )
    except redis.exceptions.RedisError as error:
        return Check("redis", False, f"{where} answered with an error: {_first_line(error)}.")
    finally:
        client.close()
    return Check("redis", True, f"{where} answers")


# -- the Celery workers ------------------------------------------------------------------------
def workers(
    app: Celery,
    *,
    queues: Sequence[str],
    broker: redis.Redis | None = None,
    timeout: float = 1.0,
) -> Check:
    """Ping the workers (waiting `timeout` for answers) and name a needed queue nobody consumes.
    With `broker`, each queue's waiting tasks are counted too."""
    inspect = app.control.inspect(timeout=timeout)
    answered = inspect.ping() or {}
    if not answered:
        return Check(
            "workers",
            False,
            f"no worker answered within {timeout:g} s: start one with `importbot worker` "
            f"(queues {', '.join(queues)}).",
        )
    names = sorted(answered)
    consuming = (
        app.control.inspect(timeout=timeout, destination=names, limit=len(names)).active_queues()
        or {}
    )
    by_queue: dict[str, list[str]] = {queue: [] for queue in queues}
    for worker, listed in consuming.items():
        for queue in listed or []:
            by_queue.setdefault(queue.get("name", ""), []).append(worker)
    parts = []
    for queue in queues:
        waiting = f", {_waiting(broker, queue)} waiting" if broker is not None else ""
        count = len(by_queue[queue])
        parts.append(f"{queue}: {count} worker{'s' if count != 1 else ''}{waiting}")
    idle = [queue for queue in queues if not by_queue[queue]]
    summary = f"{len(names)} worker(s) answered ({', '.join(names)}); " + "; ".join(parts)
    if idle:
        starts = " ".join(f"`importbot worker --queues {queue}{_one(queue)}`" for queue in idle)
        return Check(
            "workers",
            False,
            f"no worker is consuming queue {', '.join(idle)}: start one ({starts}). {summary}",
        )
    return Check("workers", True, summary)


def _one(queue: str) -> str:
    """A doltlite queue has one writer: its worker runs with concurrency 1."""
    return " --concurrency 1" if queue.startswith("doltlite.") else ""


def _waiting(broker: redis.Redis, queue: str) -> int:
    """Tasks waiting in a queue (kombu's Redis transport keeps a queue as a list of its name)."""
    return int(broker.llen(queue))


# -- the model endpoint ------------------------------------------------------------------------
def model_endpoint(
    base_url: str, *, api_key: str = "", models: Sequence[str] = (), timeout: float = 3.0
) -> Check:
    """GET `<base_url>/models` of an OpenAI-compatible endpoint."""
    url = base_url.rstrip("/") + "/models"
    where = f"the model endpoint {_without_credentials(base_url)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
    except urllib.error.HTTPError as error:
        hint = (
            "check OPENAI_API_KEY"
            if error.code in (401, 403)
            else "check OPENAI_BASE_URL, or wait for the endpoint to recover"
        )
        return Check("model", False, f"{where} answered HTTP {error.code} to GET /models: {hint}.")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            said = f"did not answer within {timeout:g} s"
        else:
            said = f"cannot be reached ({reason})"
        return Check(
            "model", False, f"{where} {said}: start it or fix OPENAI_BASE_URL (IMPORTBOT_LLM)."
        )
    offered = _model_ids(body)
    detail = f"{where} answers"
    if offered is not None:
        missing = [model for model in models if model not in offered]
        detail += f" and lists {len(offered)} model(s)"
        if missing:
            detail += f"; it does not list {', '.join(missing)} (IMPORTBOT_MODELS)"
    return Check("model", True, detail)


def _model_ids(body: bytes) -> set[str] | None:
    try:
        data = json.loads(body).get("data")
        return {str(item["id"]) for item in data}
    except (ValueError, AttributeError, KeyError, TypeError):
        return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


# -- the watchdog ------------------------------------------------------------------------------
def beat_watchdog(client: redis.Redis, *, at: float | None = None) -> None:
    """What the watchdog writes after each round: the Unix time of the beat."""
    client.set(WATCHDOG_HEARTBEAT_KEY, f"{time.time() if at is None else at:.3f}")


def watchdog(client: redis.Redis, *, max_age: float = WATCHDOG_MAX_AGE) -> Check:
    raw = client.get(WATCHDOG_HEARTBEAT_KEY)
    if raw is None:
        return Check(
            "watchdog",
            False,
            "not running (not required yet): no watchdog heartbeat in the job store "
            f"({WATCHDOG_HEARTBEAT_KEY}), so steps whose worker died are not found on their "
            "own; `importbot jobs` shows the open jobs",
            needed=False,
        )
    try:
        age = time.time() - float(raw)
    except (TypeError, ValueError):
        return Check("watchdog", False, f"its heartbeat {raw!r} is not a time")
    if age > max_age:
        return Check(
            "watchdog",
            False,
            f"stopped: its last heartbeat was {_duration(age)} ago (more than "
            f"{_duration(max_age)}); restart the process that runs it",
        )
    return Check("watchdog", True, f"running: last heartbeat {_duration(age)} ago")


# -- the oldest open job -----------------------------------------------------------------------
def oldest_open_job(store: JobStore, *, at: datetime | None = None) -> Check:
    """The open (non-final) job created first, with its status and age. A job waiting for a
    person is not a fault, so this check only fails when the jobs cannot be read."""
    try:
        candidates = [
            job for status in OPEN for job in store.jobs(status=status, limit=1_000_000)[-1:]
        ]
    except (redis.exceptions.RedisError, OSError) as error:
        return Check("oldest job", False, f"the jobs cannot be read: {_first_line(error)}")
    if not candidates:
        return Check("oldest job", True, "none open: every job has ended", needed=False)
    oldest: Job = min(candidates, key=lambda job: job.created_at)
    age = ((at or now()) - oldest.created_at).total_seconds()
    since = ((at or now()) - oldest.updated_at).total_seconds()
    return Check(
        "oldest job",
        True,
        f"{oldest.id} is {oldest.status.words}, created {_duration(age)} ago, last changed "
        f"{_duration(since)} ago (`importbot show {oldest.id}`)",
        needed=False,
    )


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
