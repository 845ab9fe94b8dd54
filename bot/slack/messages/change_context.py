"""What a changes modal is about, in one short mrkdwn section: the tables of a schema proposal,
the steps of a plan, the understanding's summary, what was loaded, or the request that failed.
Pure: an artifact in, text out."""

from __future__ import annotations

import re

from pydantic import BaseModel

from agents import review_words
from agents.artifacts import ImportPlan, ImportRequest, Review, SchemaProposal, TableProposal
from bot.slack.messages.mrkdwn import escape, inline_code, join_limited, truncate

MAX_CONTEXT = 900
"""Short: the modal is for the change, the thread holds the whole artifact."""
SHOWN_COLUMNS = 6
_ACTIONS = {"create": "new", "existing": "existing", "alter": "altered"}
# The proposal's CREATE statements put one column per line: "  `id` INT NOT NULL,"
_COLUMN_LINE = re.compile(r"^\s*`((?:[^`]|``)+)`\s+\w", re.M)
_PRIMARY_KEY = re.compile(r"PRIMARY\s+KEY\s*\(([^)]*)\)", re.I)


def change_context(artifact: BaseModel | None, *, version: int = 0) -> str | None:
    """The section for `artifact` (version `version` when known); None for nothing to show."""
    named = f" (version {version})" if version else ""
    if isinstance(artifact, SchemaProposal) and artifact.tables:
        tables = join_limited((_table(t) for t in artifact.tables), MAX_CONTEXT - 60, sep="\n")
        return truncate(f"*The schema proposal{named}:*\n{tables}", MAX_CONTEXT)
    if isinstance(artifact, ImportPlan) and artifact.steps:
        steps = (
            f"{inline_code(s.table)}: {s.mode}, {s.expected_rows:,} of {s.source_rows:,} rows"
            for s in artifact.steps
        )
        lines = join_limited(steps, MAX_CONTEXT - 60, sep="\n")
        return truncate(f"*The plan{named}:*\n{lines}", MAX_CONTEXT)
    if isinstance(artifact, Review):
        tables = join_limited(
            (f"{inline_code(t.name)}: {review_words.table_changes(t)}" for t in artifact.tables),
            MAX_CONTEXT - 120,
            sep="\n",
        )
        head = f"*Loaded on {inline_code(artifact.branch)}:* {review_words.totals(artifact)}"
        return truncate(f"{head}\n{tables}", MAX_CONTEXT)
    if isinstance(artifact, ImportRequest) and artifact.summary:
        return truncate(f"*My understanding{named}:* {escape(artifact.summary)}", MAX_CONTEXT)
    return None


def request_context(text: str) -> str:
    """The section for editing a failed request: what was asked (the failure is in the
    thread)."""
    return truncate(f"*The request:* {escape(text)}", MAX_CONTEXT)


def _table(table: TableProposal) -> str:
    columns = _columns(table)
    shown = ", ".join(columns[:SHOWN_COLUMNS])
    if len(columns) > SHOWN_COLUMNS:
        shown += f", … {len(columns) - SHOWN_COLUMNS} more"
    return f"{inline_code(table.name)} ({_ACTIONS[table.action]})" + (
        f": {escape(shown)}" if shown else ""
    )


def _columns(table: TableProposal) -> list[str]:
    """The columns of the table's CREATE statement, the key marked (none for an existing
    table)."""
    create = next((s for s in table.ddl if s.lstrip().upper().startswith("CREATE")), None)
    if create is None:
        return []
    names = [name.replace("``", "`") for name in _COLUMN_LINE.findall(create)]
    key = _PRIMARY_KEY.search(create)
    keys = {k.strip().strip("`") for k in key.group(1).split(",")} if key else set()
    return [f"{name} (key)" if name in keys else name for name in names]
