"""Loading a local file into DuckDB relations the plan can SELECT from, one module per job:

* ``stage`` — the entry points: detect the format, name the relation, stage, find a line;
* ``relations`` — StagedRelation, ReaderReject, StagingJob, limits, the view over a raw relation;
* ``connection`` — the DuckDB connection: memory limit, spilling, the attached staging file;
* ``names`` — quoted identifiers and literals, snake_case column names;
* ``encodings`` — a text file's encoding, and the file decoded to UTF-8 with exact lines;
* ``delimited`` — CSV and friends: dialect sniffing, the read into DuckDB, reject placement;
* ``text_records`` — where each record of a UTF-8 text file starts, as DuckDB splits it;
* ``xlsx`` — a workbook's sheet converted to CSV, then staged as delimited text;
* ``parquet`` — a view over a Parquet file;
* ``json_records`` — JSON and JSONL: records, flattened objects, nested lists as child relations.

Nothing here imports from ``agents.inspection``: profiling builds on staging, not the reverse.
"""
