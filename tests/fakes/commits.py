"""Reading a doltlite commit's message in tests: an import branch ends with the commit that
records its sources in the ledger; the rows, and the message naming the request, are in the
commit before it (the one the review and the ledger name)."""

from __future__ import annotations

from contextlib import closing

from agents.execution.ledger import LEDGER_TABLE
from dolt.embedded.connect import connect


def commit_message(database, commit: str) -> str:
    """The message of `commit` (a hash), read at the commit itself."""
    with closing(connect(database.path, ref=commit)) as connection:
        (message,) = connection.execute(
            "SELECT message FROM dolt_log WHERE commit_hash = ?", (commit,)
        ).fetchone()
    return message


def data_tables(tables):
    """The changed tables of a diff summary, without the ledger."""
    return [table for table in tables if table.name != LEDGER_TABLE]
