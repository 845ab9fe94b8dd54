"""The one place that reads the environment; everything else takes arguments."""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dolt.models import Author
from workers.durations import parse_duration
from workers.waiting import DEFAULT_EXPIRE_AFTER_SECONDS, DEFAULT_REMIND_AFTER_SECONDS

DEFAULT_DOLT_URL = "doltlite:.importbot/databases"
JOBS_DIR = Path(".importbot/jobs")
NOTIFY_MERGERS = ("mention", "dm")
N = TypeVar("N", int, float)
_AUTHOR = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>\s]+)>\s*$")


@dataclass(frozen=True)
class Settings:
    environ: Mapping[str, str]  # passed on to the parts that read their own settings from it
    dolt_url: str = DEFAULT_DOLT_URL
    author: Author | None = None
    redis_url: str | None = None
    jobs_dir: Path = JOBS_DIR
    doltlite_shards: int = 1
    lock_ttl_seconds: float = 60.0
    importers: frozenset[str] = frozenset()
    mergers: frozenset[str] | None = None
    require_second_approver: bool = False
    heartbeat_every_seconds: float = 5.0
    watchdog_every_seconds: float = 15.0
    heartbeat_stale_seconds: float = 30.0
    step_restarts: int = 2
    duckdb_memory_limit: str | None = None  # None: agents.staging.connection.MEMORY_LIMIT
    duckdb_threads: int | None = None  # None: agents.staging.connection.THREADS
    plan_count_seconds: float | None = None  # None: agents.stages.plan.COUNT_SECONDS
    broadcast_outcome: bool = True
    """Slack: the final line (merged, discarded, failed) is also sent to the channel."""
    notify_mergers: str = "mention"
    """Slack: how the mergers hear of a review — "mention" (their ids in the review) or "dm"
    (also a direct message to each merger, groups expanded)."""
    remind_after_seconds: float = DEFAULT_REMIND_AFTER_SECONDS
    """A job waiting this long for a decision gets one reminder (IMPORTBOT_REMIND_AFTER)."""
    expire_after_seconds: float = DEFAULT_EXPIRE_AFTER_SECONDS
    """A review nobody decided for this long is discarded (IMPORTBOT_EXPIRE_AFTER)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls(
            environ=env,
            dolt_url=env.get("IMPORTBOT_DOLT_URL") or DEFAULT_DOLT_URL,
            author=parse_author(env["IMPORTBOT_AUTHOR"]) if env.get("IMPORTBOT_AUTHOR") else None,
            redis_url=env.get("IMPORTBOT_REDIS_URL") or None,
            jobs_dir=Path(env.get("IMPORTBOT_JOBS_DIR") or JOBS_DIR),
            doltlite_shards=int(env.get("IMPORTBOT_DOLTLITE_SHARDS") or 1),
            lock_ttl_seconds=float(env.get("IMPORTBOT_LOCK_TTL") or 60),
            importers=_ids(env.get("IMPORTBOT_IMPORTERS")) or frozenset(),
            mergers=_ids(env.get("IMPORTBOT_MERGERS")),
            require_second_approver=_flag(env.get("IMPORTBOT_REQUIRE_SECOND_APPROVER")),
            heartbeat_every_seconds=float(env.get("IMPORTBOT_HEARTBEAT_EVERY") or 5),
            watchdog_every_seconds=float(env.get("IMPORTBOT_WATCHDOG_EVERY") or 15),
            heartbeat_stale_seconds=float(env.get("IMPORTBOT_HEARTBEAT_STALE") or 30),
            step_restarts=int(env.get("IMPORTBOT_STEP_RESTARTS") or 2),
            duckdb_memory_limit=env.get("IMPORTBOT_DUCKDB_MEMORY_LIMIT") or None,
            duckdb_threads=_optional(int, env.get("IMPORTBOT_DUCKDB_THREADS")),
            plan_count_seconds=_optional(float, env.get("IMPORTBOT_PLAN_COUNT_SECONDS")),
            broadcast_outcome=_flag(env.get("IMPORTBOT_BROADCAST_OUTCOME") or "on"),
            notify_mergers=_choice(
                "IMPORTBOT_NOTIFY_MERGERS", env.get("IMPORTBOT_NOTIFY_MERGERS"), NOTIFY_MERGERS
            ),
            remind_after_seconds=_duration(
                env.get("IMPORTBOT_REMIND_AFTER"), DEFAULT_REMIND_AFTER_SECONDS
            ),
            expire_after_seconds=_duration(
                env.get("IMPORTBOT_EXPIRE_AFTER"), DEFAULT_EXPIRE_AFTER_SECONDS
            ),
        )


def _ids(text: str | None) -> frozenset[str] | None:
    """A comma- or space-separated list of Slack user/group ids; None when unset."""
    if not text or not text.strip():
        return None
    return frozenset(part for part in re.split(r"[,\s]+", text.strip()) if part)


def _optional(kind: Callable[[str], N], text: str | None) -> N | None:
    """`text` read as `kind` (int, float); None when unset or blank."""
    return kind(text) if text and text.strip() else None


def _choice(name: str, text: str | None, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first when unset); refused in words otherwise."""
    value = (text or "").strip().lower() or choices[0]
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {text!r}.")
    return value


def _duration(text: str | None, default: float) -> float:
    """Seconds in "30m", "4h", "7d"; `default` when unset or blank."""
    return parse_duration(text) if text and text.strip() else default


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in {"1", "true", "yes", "on"}


def parse_author(text: str) -> Author:
    match = _AUTHOR.match(text)
    if not match:
        raise ValueError(f"Author {text!r} must look like 'Name <email>'.")
    return Author(name=match["name"], email=match["email"])


def local_author() -> Author:
    """The person at this terminal, when IMPORTBOT_AUTHOR does not say."""
    user = getpass.getuser()
    return Author(name=user, email=f"{user}@{socket.gethostname()}")


def use_process_limits(settings: Settings) -> None:
    """What one job's DuckDB and plan counting may use, for every job this process runs
    (IMPORTBOT_DUCKDB_MEMORY_LIMIT, IMPORTBOT_DUCKDB_THREADS, IMPORTBOT_PLAN_COUNT_SECONDS)."""
    from agents.stages.plan import use_count_seconds
    from agents.staging.connection import MEMORY_LIMIT, THREADS, DuckdbLimits, use_limits

    use_limits(
        DuckdbLimits(
            memory_limit=settings.duckdb_memory_limit or MEMORY_LIMIT,
            threads=settings.duckdb_threads or THREADS,
        )
    )
    if settings.plan_count_seconds:
        use_count_seconds(settings.plan_count_seconds)
