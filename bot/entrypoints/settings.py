"""The one place that reads the environment; everything else takes arguments."""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dolt.models import Author

DEFAULT_DOLT_URL = "doltlite:.importbot/databases"
JOBS_DIR = Path(".importbot/jobs")
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
        )


def _ids(text: str | None) -> frozenset[str] | None:
    """A comma- or space-separated list of Slack user/group ids; None when unset."""
    if not text or not text.strip():
        return None
    return frozenset(part for part in re.split(r"[,\s]+", text.strip()) if part)


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
