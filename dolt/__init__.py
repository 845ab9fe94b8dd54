"""Everything that talks to a Dolt database (doltlite embedded, or a Dolt sql-server)."""

from __future__ import annotations

from pathlib import Path

from dolt.interface import Database, DoltServer, WriteSession
from dolt.urls import DoltliteLocation, parse_url

__all__ = ["Database", "DoltServer", "WriteSession", "open_server"]


def open_server(url: str, *, cwd: Path | None = None) -> DoltServer:
    """The databases behind a URL: `doltlite:<dir>` or `mysql://user:pass@host:port`."""
    location = parse_url(url, cwd=cwd)
    if isinstance(location, DoltliteLocation):
        from dolt.embedded.server import DoltliteServer  # loads doltlite only when it is used

        return DoltliteServer(location)
    from dolt.sqlserver.server import SqlServer

    return SqlServer(location)
