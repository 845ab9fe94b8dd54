"""What was imported into each table, kept in the database itself.

Every import writes one row per (table, source) to `importbot_imports` on its branch, in a
commit of its own after the data's commit (whose hash the row names), so a merge brings the
ledger to main with the rows it describes: main knows what it holds. Before anything is
written, a new job reads main's ledger for sources with the same SHA-256 (`records_on`), and
the person is asked before the same content goes into the same table again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

from agents.artifacts import ImportRecord, PlanStep, SchemaProposal, SourceSnapshot, TableLoad
from dolt.interface import Database, WriteSession
from dolt.models import Author, WriteMode

LEDGER_TABLE = "importbot_imports"
"""The product's own table; staging renames a file or table of that name (a reserved prefix)."""

LEDGER_DDL = f"""CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
  job_id VARCHAR(64) NOT NULL,
  target_table VARCHAR(64) NOT NULL,
  sha256 CHAR(64) NOT NULL,
  source TEXT NOT NULL,
  size BIGINT NOT NULL,
  mode VARCHAR(16) NOT NULL,
  rows_loaded BIGINT NOT NULL,
  request TEXT NOT NULL,
  data_commit VARCHAR(64) NOT NULL,
  imported_at VARCHAR(32) NOT NULL,
  PRIMARY KEY (job_id, target_table, sha256)
)"""

_COLUMNS = (
    "job_id",
    "target_table",
    "sha256",
    "source",
    "size",
    "mode",
    "rows_loaded",
    "request",
    "data_commit",
    "imported_at",
)
MAX_RECORDS_READ = 10_000


def records_of(
    *,
    job_id: str,
    request: str,
    commit: str,
    schema: SchemaProposal,
    steps: Sequence[PlanStep],
    loads: Sequence[TableLoad],
    sources_of: Mapping[str, Sequence[SourceSnapshot]],
) -> list[ImportRecord]:
    """One record per table and source it read; `sources_of` maps a staged relation to the
    snapshots it was read from."""
    loaded = {load.table: load.loaded for load in loads}
    modes = {step.table: step.mode for step in steps}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    records: dict[tuple[str, str], ImportRecord] = {}
    for table in schema.tables:
        if table.name not in loaded:
            continue
        for relation in table.relations:
            for snapshot in sources_of.get(relation, ()):
                records.setdefault(
                    (table.name, snapshot.sha256),
                    ImportRecord(
                        job_id=job_id,
                        table=table.name,
                        source=snapshot.source,
                        sha256=snapshot.sha256,
                        size=snapshot.size,
                        mode=WriteMode(modes[table.name]),
                        rows_loaded=loaded[table.name],
                        request=" ".join(request.split()),
                        commit=commit,
                        imported_at=now,
                    ),
                )
    return list(records.values())


def write_records(
    session: WriteSession, records: Sequence[ImportRecord], *, author: Author, job_id: str
) -> str | None:
    """The records in a commit of their own on the session's branch; its hash (None: none)."""
    if not records:
        return None
    session.execute_ddl(sql=LEDGER_DDL)
    session.insert_rows(
        table=LEDGER_TABLE,
        columns=_COLUMNS,
        rows=[_row(record) for record in records],
        mode=WriteMode.UPSERT,
    )
    sources = len({record.sha256 for record in records})
    return session.commit(
        message=f"Record import {job_id} in {LEDGER_TABLE}: {sources} source(s)", author=author
    )


def records_on(
    database: Database, *, sha256s: Collection[str], ref: str = "main"
) -> list[ImportRecord]:
    """The ledger's records at `ref` of sources with these contents (none: no ledger yet)."""
    wanted = sorted({digest for digest in sha256s if _is_digest(digest)})
    if not wanted or LEDGER_TABLE not in database.list_tables(ref=ref):
        return []
    listed = ", ".join(f"'{digest}'" for digest in wanted)
    rows = database.read_rows(
        table=LEDGER_TABLE, ref=ref, where=f"sha256 IN ({listed})", limit=MAX_RECORDS_READ
    )
    return sorted((_record(row) for row in rows), key=lambda r: (r.imported_at, r.table))


def records_of_job(database: Database, *, job_id: str, ref: str) -> list[ImportRecord]:
    """What job `job_id` recorded at `ref` (its branch)."""
    if LEDGER_TABLE not in database.list_tables(ref=ref):
        return []
    rows = database.read_rows(
        table=LEDGER_TABLE, ref=ref, where=f"job_id = '{_quoted(job_id)}'", limit=MAX_RECORDS_READ
    )
    return [_record(row) for row in rows]


def without_ledger(tables: Mapping[str, str]) -> dict[str, str]:
    """Tables as people see them: every one but the ledger."""
    return {name: value for name, value in tables.items() if name != LEDGER_TABLE}


def _row(record: ImportRecord) -> tuple[object, ...]:
    return (
        record.job_id,
        record.table,
        record.sha256,
        record.source,
        record.size,
        record.mode.value,
        record.rows_loaded,
        record.request,
        record.commit,
        record.imported_at,
    )


def _record(row: Mapping[str, object]) -> ImportRecord:
    return ImportRecord(
        job_id=str(row["job_id"]),
        table=str(row["target_table"]),
        source=str(row["source"]),
        sha256=str(row["sha256"]),
        size=int(str(row["size"])),
        mode=WriteMode(str(row["mode"])),
        rows_loaded=int(str(row["rows_loaded"])),
        request=str(row["request"]),
        commit=str(row["data_commit"]),
        imported_at=str(row["imported_at"]),
    )


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _quoted(text: str) -> str:
    return text.replace("'", "''")
