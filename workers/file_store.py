"""Jobs in files, for the terminal: `<jobs_dir>/<id>/job.json`, updated under an flock."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from workers.errors import JobBusy, JobNotFound
from workers.job import Job, now
from workers.states import Status

T = TypeVar("T")


class FileJobStore:
    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = Path(jobs_dir)

    def folder(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def create(self, job: Job) -> Job:
        with self._locked(".threads"):  # one creator at a time: one job per thread
            if job.place.channel and job.place.thread_ts and job.reverts is None:
                existing = self.find_by_thread(job.place.channel, job.place.thread_ts)
                if existing is not None:
                    return existing
            self.folder(job.id).mkdir(parents=True, exist_ok=True)
            with self._locked(job.id):
                if self._path(job.id).exists():
                    return self.get(job.id)
                self._write(job)
        return job

    def get(self, job_id: str) -> Job:
        path = self._path(job_id)
        if not path.is_file():
            raise JobNotFound(f"There is no job {job_id!r} in {self.jobs_dir}.")
        return Job.model_validate_json(path.read_text())

    def update(self, job_id: str, change: Callable[[Job], T]) -> tuple[Job, T]:
        with self._locked(job_id):
            job = self.get(job_id)
            result = change(job)
            job.updated_at = now()
            self._write(job)
        return job, result

    def find_by_thread(self, channel: str, thread_ts: str) -> Job | None:
        for job in self.jobs(limit=10_000):
            if job.reverts is not None:
                continue  # it talks in the thread of the job it reverts, which keeps the thread
            if job.place.channel == channel and job.place.thread_ts == thread_ts:
                return job
        return None

    def jobs(
        self, *, status: Status | None = None, requester: str | None = None, limit: int = 100
    ) -> list[Job]:
        found = []
        for path in self.jobs_dir.glob("*/job.json"):
            try:
                job = Job.model_validate_json(path.read_text())
            except ValueError:
                continue  # a job folder from an older version, or being written
            if status is not None and job.status != status:
                continue
            if requester is not None and job.requester.id != requester:
                continue
            found.append(job)
        found.sort(key=lambda job: job.created_at, reverse=True)
        return found[:limit]

    def cancelled(self, job_id: str) -> bool:
        return self.get(job_id).status == Status.CANCELLED

    def claim(self, key: str, *, ttl_seconds: int) -> bool:
        claims = self.jobs_dir / ".claims"
        claims.mkdir(parents=True, exist_ok=True)
        path = claims / hashlib.sha256(key.encode()).hexdigest()
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if time.time() - path.stat().st_mtime < ttl_seconds:
                return False
            path.unlink(missing_ok=True)
            return self.claim(key, ttl_seconds=ttl_seconds)
        os.close(fd)
        return True

    def unclaim(self, key: str) -> None:
        (self.jobs_dir / ".claims" / hashlib.sha256(key.encode()).hexdigest()).unlink(
            missing_ok=True
        )

    @contextmanager
    def lock(self, job_id: str) -> Iterator[None]:
        self.folder(job_id).mkdir(parents=True, exist_ok=True)
        with open(self.folder(job_id) / ".run.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JobBusy(f"Job {job_id} is being worked on by another process.") from None
            yield

    # -- files -------------------------------------------------------------------------------
    def _path(self, job_id: str) -> Path:
        return self.folder(job_id) / "job.json"

    def _write(self, job: Job) -> None:
        temporary = self._path(job.id).with_suffix(".tmp")
        temporary.write_text(job.model_dump_json(indent=2))
        temporary.replace(self._path(job.id))

    @contextmanager
    def _locked(self, job_id: str) -> Iterator[None]:
        self.folder(job_id).mkdir(parents=True, exist_ok=True)
        with open(self.folder(job_id) / ".update.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
