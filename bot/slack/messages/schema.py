"""Stage 4: the proposed schema — the files read, notes, DDL in code blocks, Approve / Request
changes / Cancel.

When the DDL does not fit in the message, the message lists the tables and the full DDL goes
out as `ddl-<job>.sql`.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.artifacts import (
    SchemaProposal,
    SkippedSource,
    SourceSnapshot,
    TableProposal,
    files_words,
    skipped_words,
)
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import APPROVE_SCHEMA, CHANGE_SCHEMA, ButtonRef
from bot.slack.messages.limits import MAX_SECTION_TEXT, fits_inline
from bot.slack.messages.message import Message, could_not, finish, inline_or_attached
from bot.slack.messages.mrkdwn import (
    bullets,
    code_block,
    escape,
    inline_code,
    join_limited,
    safe_filename,
)

MAX_INLINE_TABLES = 12


def render_schema(
    proposal: SchemaProposal,
    *,
    ref: ButtonRef,
    snapshots: Sequence[SourceSnapshot] = (),
    skipped: Sequence[SkippedSource] = (),
) -> Message:
    """The tables to create, alter or import into, with their DDL (inline or as a file), the
    files they come from (the inspection's `snapshots`) and those left out (`skipped`)."""
    buttons = b.stage_actions(ref, ("Approve", APPROVE_SCHEMA), ("Request changes", CHANGE_SCHEMA))
    if proposal.status == "cannot":
        reason = proposal.reason or "no schema could be proposed"
        return could_not("I could not propose a schema", reason, buttons)
    blocks: list[dict] = [b.header("Proposed schema"), *_files_read(snapshots)]
    if words := skipped_words(skipped):
        blocks.append(b.section(escape(words)))
    if proposal.notes:
        blocks.append(b.section(bullets(proposal.notes)))
    texts = [_table_text(table) for table in proposal.tables]
    tables, files = inline_or_attached(
        texts,
        fits=fits_inline(texts, MAX_INLINE_TABLES),
        summary=_table_list(proposal.tables),
        what="DDL",
        filename=safe_filename("ddl", ref.job_id, "sql"),
        content=lambda: ddl_file(proposal),
        title="Proposed DDL",
    )
    blocks += tables
    blocks.append(buttons)
    return finish(f"Proposed schema: {_count(proposal)}. Approve?", blocks, files)


def _files_read(snapshots: Sequence[SourceSnapshot]) -> list[dict]:
    """`From 4 files: a.csv, b.csv, …`, or nothing when no file is known."""
    words = files_words(snapshots)
    return [] if words is None else [b.section(f"From {escape(words)}")]


def ddl_file(proposal: SchemaProposal) -> str:
    """Every statement of the proposal, each table introduced by a comment."""
    parts = []
    for table in proposal.tables:
        sources = ", ".join(table.relations) or "no source"
        comment = f"-- {table.name}: {table.action}, from {sources}".replace("\n", " ")
        parts.append("\n".join([comment, *(f"{s.rstrip().rstrip(';')};" for s in table.ddl)]))
    return "\n\n".join(parts) + "\n"


def _title(table: TableProposal) -> str:
    sources = join_limited((inline_code(s) for s in table.relations), 500) or "no source"
    action = {"create": "new table", "existing": "existing table", "alter": "altered"}
    return f"*{escape(table.name)}* — {action[table.action]}, from {sources}"


def _table_text(table: TableProposal) -> str:
    if not table.ddl:
        return _title(table)
    ddl = ";\n\n".join(s.rstrip().rstrip(";") for s in table.ddl) + ";"
    return f"{_title(table)}\n{code_block(ddl, limit=10**9)}"


def _table_list(tables: list[TableProposal]) -> str:
    names = (f"{inline_code(t.name)} ({t.action})" for t in tables)
    return f"*{len(tables)} tables:* " + join_limited(names, MAX_SECTION_TEXT - 40)


def _count(proposal: SchemaProposal) -> str:
    kinds = [t.action for t in proposal.tables]
    parts = [f"{kinds.count(k)} {k}" for k in ("create", "alter", "existing") if k in kinds]
    return ", ".join(parts) or "no tables"
