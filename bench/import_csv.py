"""End-to-end CSV import vs raw executemany of the same rows, in the same run.

A generated 1M-row, 10-column CSV is imported through the real pipeline (resolve, stage,
profile, propose, plan, load onto a new branch, verify, commit); the review that follows
is timed on its own. The baseline writes the same rows, already parsed in memory, with raw
`executemany` in 10k chunks into a doltlite branch of a table with the same DDL. Both run
`--repeat` times, alternating (this machine is noisy); prints rows/s of both for the middle
run, the median ratio (target >= 0.6, stretch 0.8) and each run's, the profiling and load
times, and the peak RSS of a 5M-row import in a child process (target < 1 GiB).

    .venv/bin/python bench/import_csv.py [--rows 1000000] [--rss-rows 5000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dolt.embedded.loader import load_sqlite3

sqlite3 = load_sqlite3()

from agents import pipeline  # noqa: E402
from agents.execution.review import build_review  # noqa: E402
from agents.sources.resolve import SourcePolicy  # noqa: E402
from dolt import open_server  # noqa: E402
from dolt.models import Author  # noqa: E402
from dolt.sql.dialect import mysql_to_sqlite  # noqa: E402

AUTHOR = Author(name="Bench Mark", email="bench@example.com")
HEADER = ["id", "big", "code", "created", "score", "flag", "ratio", "label", "payload", "notes"]
REQUEST = 'import data.csv into database "bench" table "rows"'


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(
                (
                    i,
                    i * 1_000_003,
                    f"C{i % 10_000_000:07d}",
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} "
                    f"{i % 24:02d}:{i % 60:02d}:{i % 60:02d}",
                    i * 0.5,
                    i % 2,
                    (i % 1000) / 8,
                    f"label number {i}",
                    i.to_bytes(8, "little").hex(),
                    f"free text about row {i}, with a comma",
                )
            )


def import_through_pipeline(root: Path, *, run: int = 0) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    request = pipeline.understand(REQUEST)
    with open_server(f"doltlite://{root / f'dbs{run}'}") as server:
        database = server.database(name="bench", create=True)
        workdir = root / "jobs" / f"bench{run}"
        workdir.mkdir(parents=True, exist_ok=True)
        inspection, staging = pipeline.inspect(
            request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
        )
        timings["profile"] = time.perf_counter() - started
        schema = pipeline.propose(request, inspection, database=database)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
        loading = time.perf_counter()
        report = pipeline.execute_plan(
            job_id="bench",
            text=REQUEST,
            author=AUTHOR,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
        )
        timings["load"] = time.perf_counter() - loading
        staging.close()
        timings["total"] = time.perf_counter() - started
        started = time.perf_counter()
        review = build_review(database, branch=report.branch, report=report)
        timings["review"] = time.perf_counter() - started
        (table,) = review.tables
        timings["rows"] = table.rows_added
        timings["ddl"] = schema.tables[0].ddl[0]
        database.close()
    return timings


def parsed_rows(path: Path) -> list[tuple]:
    """The same rows as typed Python values (what the importer writes)."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [
            (
                int(r[0]),
                int(r[1]),
                r[2],
                r[3],
                float(r[4]),
                int(r[5]),
                float(r[6]),
                r[7],
                r[8],
                r[9],
            )
            for r in reader
        ]


def raw_load(root: Path, ddl: str, rows: list[tuple], *, run: int = 0) -> float:
    path = root / f"raw{run}.db"
    connection = sqlite3.connect(str(path), isolation_level=None, timeout=60)
    for statement in mysql_to_sqlite(ddl):
        connection.execute(statement)
    connection.execute("SELECT dolt_commit('-Am', 'schema')")
    connection.execute("SELECT dolt_branch('import/raw', 'main')")
    connection.close()
    branch = sqlite3.connect(f"{path}@import/raw", isolation_level=None, timeout=60)
    sql = f"INSERT INTO `rows` VALUES ({', '.join('?' * len(HEADER))})".replace("`", '"')
    started = time.perf_counter()
    branch.execute("BEGIN IMMEDIATE")
    for start in range(0, len(rows), 10_000):
        branch.executemany(sql, rows[start : start + 10_000])
    branch.execute("COMMIT")
    branch.execute("SELECT dolt_commit('-Am', 'load')")
    elapsed = time.perf_counter() - started
    branch.close()
    return elapsed


def own_peak_rss_kib() -> int:
    """This process's peak RSS since it started its program.

    `VmHWM` belongs to the process's current memory map; `ru_maxrss` (and so
    `RUSAGE_CHILDREN` in the parent) also keeps the peak of the map before `exec`, which for
    a child started from this benchmark is the parent's, holding a million parsed rows.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_of_import(rows: int) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of a child process importing a `rows`-row CSV."""
    root = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    try:
        write_csv(root / "data.csv", rows)
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(root)],
            check=True,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        return int(child.stdout.split()[-1]) / 1024, elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rss-rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of both; the median ratio")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import_through_pipeline(args.child)
        print(own_peak_rss_kib())
        return

    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    root = Path(tempfile.mkdtemp(prefix="bench-import-"))
    runs: list[tuple[dict[str, float], float]] = []
    try:
        write_csv(root / "data.csv", args.rows)
        rows: list[tuple] = []
        for run in range(args.repeat):
            timings = import_through_pipeline(root, run=run)
            assert timings["rows"] == args.rows, timings
            rows = rows or parsed_rows(root / "data.csv")
            runs.append((timings, raw_load(root, str(timings["ddl"]), rows, run=run)))
            shutil.rmtree(root / f"dbs{run}", ignore_errors=True)
            (root / f"raw{run}.db").unlink(missing_ok=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratios = [raw_seconds / timings["total"] for timings, raw_seconds in runs]
    middle = sorted(range(len(runs)), key=ratios.__getitem__)[len(runs) // 2]
    timings, raw_seconds = runs[middle]
    median = statistics.median(ratios)
    print(f"rows: {args.rows:,} x {len(HEADER)} columns; {len(runs)} run(s), the middle one shown")
    print(f"raw executemany (rows in memory): {args.rows / raw_seconds:,.0f} rows/s")
    print(f"importbot end to end:            {args.rows / timings['total']:,.0f} rows/s")
    print(f"ratio import/raw:                {median:.3f}  (target >= 0.6, stretch 0.8)")
    print("ratio of each run:               " + ", ".join(f"{r:.3f}" for r in ratios))
    print(f"profiling (resolve, stage, profile): {timings['profile']:.2f} s")
    print(
        f"load (branch, DDL, rows, checks, commit): {timings['load']:.2f} s "
        f"against raw {raw_seconds:.2f} s"
    )
    print(f"review after the commit (diff, samples, merge preview): {timings['review']:.2f} s")
    if args.rss_rows:
        rss, seconds = peak_rss_of_import(args.rss_rows)
        print(
            f"peak RSS importing {args.rss_rows:,} rows: {rss:,.0f} MiB in {seconds:.1f} s "
            "(target < 1024 MiB)"
        )


if __name__ == "__main__":
    main()
