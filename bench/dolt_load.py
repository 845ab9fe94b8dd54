"""Bulk load through the Dolt layer vs raw executemany into doltlite, in the same run.

1M rows x 10 columns (int key, bigint, char, datetime, double, tinyint, float, varchar,
blob, text) written to a new branch. Prints rows/s for each, the ratio (target >= 0.95),
and the diff-summary and conflict-preview times for the loaded branch.

    .venv/bin/python bench/dolt_load.py [--rows 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dolt.embedded.loader import load_sqlite3

sqlite3 = load_sqlite3()

from dolt import open_server  # noqa: E402
from dolt.models import Author  # noqa: E402
from dolt.sql.dialect import mysql_to_sqlite  # noqa: E402

DDL = (
    "CREATE TABLE bench (id INT PRIMARY KEY, big BIGINT, code CHAR(8), created DATETIME, "
    "score DOUBLE, flag TINYINT, ratio FLOAT, label VARCHAR(64), payload BLOB, notes TEXT)"
)
COLUMNS = ["id", "big", "code", "created", "score", "flag", "ratio", "label", "payload", "notes"]
AUTHOR = Author(name="Bench Mark", email="bench@example.com")
CHUNK = 10_000


def make_rows(count: int) -> list[tuple]:
    return [
        (
            i,
            i * 1_000_003,
            f"C{i % 10_000_000:07d}",
            f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i % 60:02d}",
            i * 0.5,
            i % 2,
            (i % 1000) / 7,
            f"label number {i}",
            i.to_bytes(8, "little") * 2,
            f"some free text about row {i}, a little longer than the label",
        )
        for i in range(count)
    ]


def raw_load(directory: Path, rows: list[tuple]) -> float:
    path = directory / "raw.db"
    connection = sqlite3.connect(str(path), isolation_level=None, timeout=60)
    for statement in mysql_to_sqlite(DDL):
        connection.execute(statement)
    connection.execute("SELECT dolt_commit('-Am', 'schema')")
    connection.execute("SELECT dolt_branch('import/raw', 'main')")
    connection.close()
    branch = sqlite3.connect(f"{path}@import/raw", isolation_level=None, timeout=60)
    sql = f"INSERT INTO bench ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    started = time.perf_counter()
    branch.execute("BEGIN IMMEDIATE")
    for start in range(0, len(rows), CHUNK):
        branch.executemany(sql, rows[start : start + CHUNK])
    branch.execute("COMMIT")
    branch.execute("SELECT dolt_commit('-Am', 'load', '--author', ?)", (str(AUTHOR),))
    elapsed = time.perf_counter() - started
    branch.close()
    return elapsed


def layer_load(directory: Path, rows: list[tuple]) -> tuple[float, object]:
    server = open_server(f"doltlite://{directory}")
    database = server.create_database(name="layer")
    with database.write_session(branch="main") as session:
        session.execute_ddl(sql=DDL)
        session.commit(message="schema", author=AUTHOR)
    database.create_branch(name="import/layer")
    started = time.perf_counter()
    with database.write_session(branch="import/layer") as session:
        session.insert_rows(table="bench", columns=COLUMNS, rows=rows, batch_rows=CHUNK)
        session.commit(message="load", author=AUTHOR)
    return time.perf_counter() - started, database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    rows = make_rows(args.rows)
    raw_times, layer_times = [], []
    database = None
    layer_dirs: list[str] = []
    for round_number in range(args.rounds):
        with tempfile.TemporaryDirectory() as raw_dir:
            raw_times.append(raw_load(Path(raw_dir), rows))
        if database is not None:
            database.close()
        layer_dir = tempfile.mkdtemp(prefix="bench-layer-")
        layer_dirs.append(layer_dir)
        elapsed, database = layer_load(Path(layer_dir), rows)
        layer_times.append(elapsed)
        print(
            f"round {round_number + 1}: raw {args.rows / raw_times[-1]:,.0f} rows/s, "
            f"layer {args.rows / elapsed:,.0f} rows/s",
            flush=True,
        )

    raw_rate = args.rows / statistics.median(raw_times)
    layer_rate = args.rows / statistics.median(layer_times)
    print(f"rows: {args.rows:,} x {len(COLUMNS)} columns, median of {args.rounds} rounds")
    print(f"raw executemany:  {raw_rate:,.0f} rows/s")
    print(f"dolt layer:       {layer_rate:,.0f} rows/s")
    print(f"ratio layer/raw:  {layer_rate / raw_rate:.3f}  (target >= 0.95)")

    started = time.perf_counter()
    summary = database.diff_summary(branch="import/layer")
    diff_seconds = time.perf_counter() - started
    (table,) = summary.tables
    assert table.rows_added == args.rows, table
    started = time.perf_counter()
    preview = database.preview_merge(branch="import/layer")
    preview_seconds = time.perf_counter() - started
    assert preview.clean, preview
    print(f"diff summary:     {diff_seconds * 1000:,.0f} ms ({table.rows_added:,} rows added)")
    print(f"conflict preview: {preview_seconds * 1000:,.0f} ms (clean: {preview.clean})")
    database.close()
    for directory in layer_dirs:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
