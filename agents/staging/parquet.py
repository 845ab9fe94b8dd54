"""Parquet staged without a copy: a view over the file, ``__record`` its row number in the file.

Columns keep the file's own types and get staged names (:func:`~agents.staging.names.column_names`);
Parquet has no lines, so its records have none either.
"""

from __future__ import annotations

import duckdb

from agents.staging.names import column_names, quote_ident, sql_literal
from agents.staging.relations import StagedRelation, StagingJob


def stage_parquet(job: StagingJob) -> StagedRelation:
    """A view over the Parquet file; ``__record`` is its row number in the file."""
    reader = f"read_parquet({sql_literal(str(job.file.resolve()))}, file_row_number = true)"
    try:
        described = job.con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as error:
        raise job.unreadable("Parquet", error) from None
    originals = [row[0] for row in described if row[0] != "file_row_number"]
    names = column_names(originals)
    select = ", ".join(
        f"{quote_ident(original)} AS {quote_ident(name)}"
        for original, name in zip(originals, names, strict=True)
    )
    raw = f"raw_{job.relation}"
    job.con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(raw)} AS "
        f"SELECT file_row_number + 1 AS __record, {select} FROM {reader}"
    )
    return StagedRelation(
        relation=job.relation,
        raw_relation=raw,
        source=job.source,
        file=job.file,
        format="parquet",
        encoding=None,
        delimiter=None,
        header=None,
        columns=list(zip(names, originals, strict=True)),
    )
