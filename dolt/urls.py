"""Database URLs: where databases live.

- ``doltlite:///abs/dir`` or ``doltlite:rel/dir`` — a directory; database ``x`` is ``<dir>/x.db``.
- ``mysql://user:pass@host:port`` — a Dolt sql-server; each database is a Dolt database on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dolt.errors import InvalidUrl

DEFAULT_MYSQL_PORT = 3306


@dataclass(frozen=True)
class DoltliteLocation:
    directory: Path

    def __str__(self) -> str:
        return f"doltlite://{self.directory}"


@dataclass(frozen=True)
class MysqlLocation:
    host: str
    port: int
    user: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        """The URL without the password: safe for messages and logs."""
        return f"mysql://{self.user}@{self.host}:{self.port}"


Location = DoltliteLocation | MysqlLocation


def parse_url(url: str, *, cwd: Path | None = None) -> Location:
    """Parse a database URL; relative doltlite directories resolve against `cwd`."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidUrl(
            "No database URL given: use doltlite:<dir> or mysql://user:pass@host:port."
        )
    url = url.strip()
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme == "doltlite":
        return _parse_doltlite(rest, cwd=cwd or Path.cwd())
    if scheme in ("mysql", "dolt"):
        return _parse_mysql(url)
    raise InvalidUrl(
        f"Unsupported database URL scheme {scheme!r} in {redact_url(url)!r}: "
        "use doltlite:<dir> or mysql://user:pass@host:port."
    )


def _parse_doltlite(rest: str, *, cwd: Path) -> DoltliteLocation:
    if rest.startswith("//"):
        # doltlite:///abs/dir -> netloc "" and path "/abs/dir"; doltlite://host/... is not a thing.
        parts = urlsplit("doltlite:" + rest)
        if parts.netloc not in ("", "localhost"):
            raise InvalidUrl(
                f"doltlite URLs name a local directory (doltlite:///abs/dir), not a host: "
                f"{parts.netloc!r}."
            )
        raw = unquote(parts.path)
    else:
        raw = unquote(rest)
    if not raw:
        raise InvalidUrl(
            "The doltlite URL names no directory: use doltlite:///abs/dir or doltlite:dir."
        )
    if "\x00" in raw:
        raise InvalidUrl("The doltlite directory contains a NUL character.")
    directory = Path(raw)
    if not directory.is_absolute():
        directory = cwd / directory
    return DoltliteLocation(directory=Path(directory).resolve())


def _parse_mysql(url: str) -> MysqlLocation:
    parts = urlsplit(url)
    if parts.path not in ("", "/"):
        raise InvalidUrl(
            f"{redact_url(url)!r} names a database in its path; the URL names the server only "
            "(mysql://user:pass@host:port) and databases are chosen per import."
        )
    if not parts.hostname:
        raise InvalidUrl(f"{redact_url(url)!r} has no host: use mysql://user:pass@host:port.")
    try:
        port = parts.port or DEFAULT_MYSQL_PORT
    except ValueError as exc:
        raise InvalidUrl(f"{redact_url(url)!r} has an invalid port.") from exc
    return MysqlLocation(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
    )


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()
