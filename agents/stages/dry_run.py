"""Apply proposed DDL on a throw-away branch: does it run, and what tables result."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from agents.errors import ProposalInvalid
from dolt.errors import DoltError
from dolt.interface import Database


def dry_run_ddl(database: Database, statements: Sequence[str]) -> dict[str, str]:
    """The CREATE statements of every table after `statements` run on a copy of main."""
    scratch = f"scratch/{uuid.uuid4().hex[:12]}"
    database.create_branch(name=scratch, start="main")
    try:
        with database.write_session(branch=scratch) as session:
            for statement in statements:
                try:
                    session.execute_ddl(sql=statement)
                except DoltError as error:
                    raise ProposalInvalid(f"This DDL failed: {statement}\n{error}") from error
        return database.create_statements(ref=scratch)
    finally:
        database.delete_branch(name=scratch)
