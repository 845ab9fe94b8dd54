"""A real Redis (a database of its own, flushed per test) and real worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import Celery

from agents.sources.resolve import SourcePolicy
from dolt import open_server
from tests.fakes.redis_dbs import WORKERS_REDIS_URL as REDIS_URL
from workers.celery_scheduler import CeleryScheduler
from workers.context import StageContext
from workers.recording_port import RedisRecordingPort
from workers.redis_store import RedisJobStore
from workers.routing import Routing

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "families"


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def place(tmp_path):
    """A worker's world: data root with the example files, databases, the jobs folder."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLES, data / "families")
    (tmp_path / "dbs").mkdir()
    (tmp_path / "jobs").mkdir()
    return tmp_path


def worker_env(place: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "IMPORTBOT_REDIS_URL": REDIS_URL,
        "IMPORTBOT_DOLT_URL": f"doltlite:{place / 'dbs'}",
        "IMPORTBOT_JOBS_DIR": str(place / "jobs"),
        "IMPORTBOT_DATA_ROOTS": str(place / "data"),
        "IMPORTBOT_LLM": "off",
        "IMPORTBOT_TASK_TIME_LIMIT": "60",
        "IMPORTBOT_VISIBILITY_MARGIN": "-48",  # 12 s: a killed worker's task comes back soon
        "IMPORTBOT_RESTORE_INTERVAL": "1",
        "IMPORTBOT_LOCK_TTL": "3",
    }
    env.update(extra)
    return env


class Workers:
    """Worker processes started with `importbot worker`, each in its own process group."""

    def __init__(self, place: Path) -> None:
        self.place = place
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        log = open(self.place / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.entrypoints.cli import main; main()", "worker", *args],
            cwd=self.place,
            env=worker_env(self.place, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.place.glob("worker-*.log"))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(place, redis_db):
    started = Workers(place)
    yield started
    started.stop_all()


@pytest.fixture
def bot_side(place, redis_db):
    """What a surface holds: the store, a scheduler sending real tasks, the recorded events."""
    sender = Celery("test-sender", broker=REDIS_URL)
    store = RedisJobStore(redis_db, lock_ttl_seconds=3)
    with open_server(f"doltlite:{place / 'dbs'}") as server:
        yield StageContext(
            store=store,
            server=server,
            policy=SourcePolicy(roots=(place / "data",)),
            jobs_dir=place / "jobs",
            scheduler=CeleryScheduler(sender, Routing(embedded=True)),
            port_for=lambda job: RedisRecordingPort(redis_db),
        )


def wait_for_status(store, job_id: str, *statuses, timeout: float = 90.0, workers=None):
    deadline = time.monotonic() + timeout
    job = store.get(job_id)
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job.status in statuses:
            return job
        time.sleep(0.1)
    logs = workers.logs()[-4000:] if workers else ""
    raise AssertionError(
        f"job {job_id} is {job.status} (error {job.error}), not {statuses}\n{logs}"
    )
