"""Many small import jobs through real Celery workers on the real Redis.

200 jobs (a 40-row CSV each, into its own table) over 4 doltlite databases, 2 worker processes
(`importbot worker`, one per doltlite shard: each database has exactly one writer). This script
plays the people: it submits every job at once and approves each stage as soon as it is shown.
Prints jobs/minute and p50/p95 time from submission to review-ready, and checks every branch
holds exactly its rows while main is untouched.

    .venv/bin/python bench/jobs_load.py [--jobs 200] [--databases 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from celery import Celery  # noqa: E402

from agents.execution.ledger import LEDGER_TABLE  # noqa: E402
from agents.sources.resolve import SourcePolicy  # noqa: E402
from dolt import open_server  # noqa: E402
from workers.celery_scheduler import CeleryScheduler  # noqa: E402
from workers.context import StageContext  # noqa: E402
from workers.decisions import DecisionRequest, decide  # noqa: E402
from workers.job import Person, Place  # noqa: E402
from workers.recording_port import RedisRecordingPort  # noqa: E402
from workers.redis_store import RedisJobStore  # noqa: E402
from workers.routing import Routing, doltlite_queue  # noqa: E402
from workers.stage_table import Action, Stage, awaited_stage  # noqa: E402
from workers.states import Status  # noqa: E402
from workers.submit import submit_job  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/12"
ROWS = 40
PERSON = Person(id="U_BENCH", name="Bench Person", email="bench@example.com")
APPROVED = (Stage.UNDERSTANDING, Stage.SCHEMA, Stage.PLAN)


def database_names(count: int, shards: int) -> list[str]:
    """Names spread evenly over the shards (each shard is one worker's queue)."""
    per_shard: dict[str, list[str]] = {}
    n = 0
    while sum(min(len(v), count // shards + 1) for v in per_shard.values()) < count:
        name = f"bench{n}"
        per_shard.setdefault(doltlite_queue(name, shards), []).append(name)
        n += 1
    names: list[str] = []
    while len(names) < count:
        for queue in sorted(per_shard):
            if per_shard[queue] and len(names) < count:
                names.append(per_shard[queue].pop(0))
    return names


def write_job_files(data: Path, jobs: int, rows: int) -> None:
    """One small CSV per job (`job<n>.csv`: id, label, price) in `data`."""
    data.mkdir(parents=True, exist_ok=True)
    for n in range(jobs):
        lines = "".join(f"{i},item {n}-{i},{i * 1.5}\n" for i in range(rows))
        (data / f"job{n}.csv").write_text("id,label,price\n" + lines)


def worker_env(work: Path, data: Path, *, shards: int, redis_url: str) -> dict[str, str]:
    """The environment of the bench's worker processes: Redis, doltlite under `work`, no model."""
    return {
        **os.environ,
        "IMPORTBOT_REDIS_URL": redis_url,
        "IMPORTBOT_DOLT_URL": f"doltlite:{work / 'dbs'}",
        "IMPORTBOT_JOBS_DIR": str(work / "jobs"),
        "IMPORTBOT_DATA_ROOTS": str(data),
        "IMPORTBOT_LLM": "off",
        "IMPORTBOT_DOLTLITE_SHARDS": str(shards),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--databases", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jobs-load-"))
    data = work / "data"
    write_job_files(data, args.jobs, ROWS)
    databases = database_names(args.databases, args.workers)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = worker_env(work, data, shards=args.workers, redis_url=REDIS_URL)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from bot.entrypoints.cli import main; main()",
                "worker",
                "--queues",
                f"stages,doltlite.{shard}",
                "--loglevel",
                "WARNING",
            ],
            cwd=work,
            env=env,
            start_new_session=True,
            stdout=open(work / f"worker{shard}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for shard in range(args.workers)
    ]
    store = RedisJobStore(client)
    with open_server(f"doltlite:{work / 'dbs'}") as server:
        ctx = StageContext(
            store=store,
            server=server,
            policy=SourcePolicy(roots=(data,)),
            jobs_dir=work / "jobs",
            scheduler=CeleryScheduler(
                Celery("bench", broker=REDIS_URL),
                Routing(embedded=True, doltlite_shards=args.workers),
            ),
            port_for=lambda job: RedisRecordingPort(client),
        )
        try:
            submitted, ready, started = run(ctx, args.jobs, databases)
            check(server, store, ready, databases)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
    waits = sorted(ready[j] - submitted[j] for j in ready)
    elapsed = max(ready.values()) - started
    print(
        f"jobs: {len(ready)}/{args.jobs} review-ready, {args.databases} databases, "
        f"{args.workers} worker processes"
    )
    print(f"throughput: {len(ready) / elapsed * 60:.1f} jobs/minute ({elapsed:.1f} s in all)")
    print(
        f"submission → review-ready: p50 {statistics.median(waits):.2f} s, "
        f"p95 {waits[int(len(waits) * 0.95) - 1]:.2f} s, max {waits[-1]:.2f} s"
    )
    print("(each job waits for three approvals, given by this script as soon as it sees them)")


def run(ctx, count: int, databases: list[str]):
    started = time.monotonic()
    submitted: dict[str, float] = {}
    for n in range(count):
        text = f"Import job{n}.csv into database {databases[n % len(databases)]} table t{n}"
        job, _ = submit_job(
            store=ctx.store,
            scheduler=ctx.scheduler,
            text=text,
            requester=PERSON,
            place=Place(kind="recording"),
        )
        submitted[job.id] = time.monotonic()
    ready: dict[str, float] = {}
    decided: set[tuple[str, str, int]] = set()
    deadline = time.monotonic() + 1800
    while len(ready) < count and time.monotonic() < deadline:
        for job in ctx.store.jobs(limit=count * 2):
            if job.status == Status.AWAITING_REVIEW and job.id not in ready:
                ready[job.id] = time.monotonic()
            elif job.status == Status.FAILED:
                raise SystemExit(f"job {job.id} failed: {job.error}")
            awaited = awaited_stage(job.status)
            if awaited and awaited.stage in APPROVED and job.pending is None:
                stage = awaited.stage
                key = (job.id, stage, job.version(stage))
                if key not in decided:
                    decided.add(key)
                    decision = DecisionRequest(job.id, stage, key[2], Action.APPROVE, PERSON)
                    decide(ctx, decision)
        time.sleep(0.1)
    if len(ready) < count:
        raise SystemExit(f"only {len(ready)} of {count} jobs became review-ready")
    return submitted, ready, started


def check(server, store, ready, databases) -> None:
    """Every branch holds exactly its rows; main is untouched."""
    for name in databases:
        database = server.database(name=name)
        assert database.list_tables() == [], f"main of {name} changed"
    for job_id in ready:
        job = store.get(job_id)
        database = server.database(name=job.database)
        changed = database.diff_summary(branch=job.branch).tables
        (table,) = [t for t in changed if t.name != LEDGER_TABLE]  # the rows, not the ledger
        assert (table.rows_added, table.rows_deleted) == (ROWS, 0), (job_id, table)
    print(f"checked: {len(ready)} branches with exactly {ROWS} rows each, main untouched")


if __name__ == "__main__":
    main()
