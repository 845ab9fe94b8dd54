"""Jobs through real workers while workers are killed at random: does every job end?

100 small jobs (a 20,000-row CSV each) over 2 doltlite databases, one worker process per shard
(`importbot worker --queues stages,doltlite.<n>`), default settings (heartbeat, watchdog, lock
and visibility timeout as shipped). This script plays the people — it approves each stage as
soon as it is shown — and the operator's bad day: every few seconds (at random) it SIGKILLs
a worker (its whole process group; one that is running a step, by the heartbeats, when there
is one) and starts a replacement on the same queues at once.

A job *ended* when it reached review or failed with a reason. For each kill, the jobs whose
step was running on the killed worker (their heartbeat named one of its processes) are
followed to their end. Prints how many jobs ended, how many steps were hit by a kill, and the
worst and median time from a kill to the end of a job it hit; checks every reviewed branch
holds exactly its rows and main is untouched.

    .venv/bin/python bench/stuck_jobs.py [--jobs 100] [--databases 2] [--kill-every 6]
"""

from __future__ import annotations

import argparse
import os
import random
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
from bench.jobs_load import database_names, worker_env, write_job_files  # noqa: E402
from dolt import open_server  # noqa: E402
from workers.celery_scheduler import CeleryScheduler  # noqa: E402
from workers.context import StageContext  # noqa: E402
from workers.decisions import DecisionRequest, decide  # noqa: E402
from workers.heartbeats import RedisHeartbeats  # noqa: E402
from workers.job import Person, Place  # noqa: E402
from workers.recording_port import RedisRecordingPort  # noqa: E402
from workers.redis_store import RedisJobStore  # noqa: E402
from workers.routing import Routing  # noqa: E402
from workers.stage_table import Action, Stage, awaited_stage  # noqa: E402
from workers.states import Status  # noqa: E402
from workers.submit import submit_job  # noqa: E402

REDIS_URL = os.environ.get("IMPORTBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ROWS = 20_000
PERSON = Person(id="U_BENCH", name="Bench Person", email="bench@example.com")
APPROVED = (Stage.UNDERSTANDING, Stage.SCHEMA, Stage.PLAN)
ENDED = (Status.AWAITING_REVIEW, Status.FAILED)


class Fleet:
    """One worker process per shard; a killed one is replaced at once on the same queues."""

    def __init__(self, work: Path, env: dict[str, str], shards: int) -> None:
        self.work, self.env = work, env
        self.processes: dict[int, subprocess.Popen] = {}
        self.started = 0
        for shard in range(shards):
            self.start(shard)

    def start(self, shard: int) -> None:
        self.started += 1
        self.processes[shard] = subprocess.Popen(
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
            cwd=self.work,
            env=self.env,
            start_new_session=True,
            stdout=open(self.work / f"worker-{self.started}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )

    def kill_one(self, rng: random.Random, busy: set[int]) -> tuple[int, set[int]]:
        """SIGKILL a random worker's process group — one running a step (a pid in `busy`)
        when there is one — and start its replacement; the shard and the pids that died."""
        groups = {shard: _group(p.pid) for shard, p in self.processes.items()}
        working = [shard for shard, pids in groups.items() if pids & busy]
        shard = rng.choice(working or sorted(self.processes))
        process, pids = self.processes[shard], groups[shard]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self.start(shard)
        return shard, pids

    def stop(self) -> None:
        for process in self.processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _pid(worker: str) -> int:
    """The pid of a heartbeat's `host:pid`."""
    return int(worker.rsplit(":", 1)[1])


def _group(pgid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.add(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--databases", type=int, default=2)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=6.0, help="seconds, on average")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--deadline", type=float, default=1800.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="stuck-jobs-"))
    data = work / "data"
    write_job_files(data, args.jobs, ROWS)
    databases = database_names(args.databases, args.shards)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = worker_env(work, data, shards=args.shards, redis_url=REDIS_URL)
    fleet = Fleet(work, env, args.shards)
    store = RedisJobStore(client)
    try:
        with open_server(f"doltlite:{work / 'dbs'}") as server:
            ctx = StageContext(
                store=store,
                server=server,
                policy=SourcePolicy(roots=(data,)),
                jobs_dir=work / "jobs",
                scheduler=CeleryScheduler(
                    Celery("bench", broker=REDIS_URL),
                    Routing(embedded=True, doltlite_shards=args.shards),
                ),
                port_for=lambda job: RedisRecordingPort(client),
            )
            result = run(ctx, fleet, args, databases)
            report(server, store, args, *result)
    finally:
        fleet.stop()
    print(f"(work folder {work}; worker logs there)")


def run(ctx, fleet: Fleet, args, databases):
    rng = random.Random(args.seed)
    heartbeats = RedisHeartbeats(ctx.store.redis)
    started = time.monotonic()
    for n in range(args.jobs):
        submit_job(
            store=ctx.store,
            scheduler=ctx.scheduler,
            text=f"Import job{n}.csv into database {databases[n % len(databases)]} table t{n}",
            requester=PERSON,
            place=Place(kind="recording"),
        )
    ended: dict[str, float] = {}
    hit: dict[str, float] = {}  # job → the last kill that stopped one of its steps
    kills = 0
    decided: set[tuple[str, str, int]] = set()
    next_kill = time.monotonic() + rng.expovariate(1 / args.kill_every)
    deadline = started + args.deadline
    while time.monotonic() < deadline:
        jobs = ctx.store.jobs(limit=args.jobs * 2)
        for job in jobs:
            if job.status in ENDED and job.id not in ended:
                ended[job.id] = time.monotonic()
            awaited = awaited_stage(job.status)
            if awaited and awaited.stage in APPROVED and job.pending is None:
                key = (job.id, awaited.stage, job.version(awaited.stage))
                if key not in decided:
                    decided.add(key)
                    request = DecisionRequest(job.id, key[1], key[2], Action.APPROVE, PERSON)
                    decide(ctx, request)
        if len(ended) == args.jobs:
            break
        if time.monotonic() >= next_kill and len(ended) < args.jobs:
            beats = heartbeats.all()
            _, pids = fleet.kill_one(rng, {_pid(beat.worker) for beat in beats.values()})
            kills += 1
            at = time.monotonic()
            for job_id, beat in beats.items():
                if _pid(beat.worker) in pids and job_id not in ended:
                    hit[job_id] = at
            next_kill = at + rng.expovariate(1 / args.kill_every)
        time.sleep(0.1)
    return ended, hit, kills, started


def report(server, store, args, ended, hit, kills, started) -> None:
    jobs = {job.id: job for job in store.jobs(limit=args.jobs * 2)}
    reviewed = [j for j in jobs.values() if j.status == Status.AWAITING_REVIEW]
    failed = [j for j in jobs.values() if j.status == Status.FAILED]
    with_reason = [j for j in failed if j.error]
    stuck = [j for j in jobs.values() if j.status not in ENDED]
    waits = sorted(ended[j] - hit[j] for j in hit if j in ended)
    print(
        f"jobs: {len(reviewed) + len(with_reason)}/{args.jobs} ended "
        f"({len(reviewed)} review reached, {len(with_reason)} failed with a reason), "
        f"{len(stuck)} not ended; {time.monotonic() - started:.0f} s in all"
    )
    print(f"kills: {kills} worker processes SIGKILLed; {len(hit)} jobs had a step running on one")
    if waits:
        print(
            f"kill → end of a job it hit: worst {waits[-1]:.1f} s, "
            f"median {statistics.median(waits):.1f} s"
        )
    lost = [j for j in hit if j not in ended]
    if lost:
        print(f"hit and never ended: {', '.join(lost)}")
    for job in failed:
        print(f"failed {job.id}: {job.error}")
    for job in stuck:
        print(f"not ended {job.id}: {job.status.value}, owes {job.pending}")
    for job in reviewed:
        database = server.database(name=job.database)
        changed = database.diff_summary(branch=job.branch).tables
        (table,) = [t for t in changed if t.name != LEDGER_TABLE]
        assert (table.rows_added, table.rows_deleted) == (ROWS, 0), (job.id, table)
        database.close()
    for name in {job.database for job in jobs.values() if job.database}:
        database = server.database(name=name)
        assert [t for t in database.list_tables() if t != LEDGER_TABLE] == [], f"main of {name}"
        database.close()
    print(f"checked: {len(reviewed)} branches with exactly {ROWS} rows each, main untouched")


if __name__ == "__main__":
    main()
