"""What every job store offers: documents with optimistic updates, lookups, claims and locks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from workers.job import Job
from workers.states import Status

T = TypeVar("T")


class JobStore(Protocol):
    def create(self, job: Job) -> Job:
        """Save a new job; a job for the same thread that already exists is returned instead."""
        ...

    def get(self, job_id: str) -> Job: ...

    def update(self, job_id: str, change: Callable[[Job], T]) -> tuple[Job, T]:
        """Re-read, apply `change`, save; redone if the job changed meanwhile. A raising
        `change` saves nothing."""
        ...

    def find_by_thread(self, channel: str, thread_ts: str) -> Job | None: ...

    def jobs(
        self, *, status: Status | None = None, requester: str | None = None, limit: int = 100
    ) -> list[Job]:
        """Newest first."""
        ...

    def cancelled(self, job_id: str) -> bool:
        """Whether the job was cancelled: asked at every batch of a running load, so cheap."""
        ...

    def claim(self, key: str, *, ttl_seconds: int) -> bool:
        """True for the first caller with this key within `ttl_seconds`, False for repeats."""
        ...

    def unclaim(self, key: str) -> None:
        """Give a key back (the work it guarded did not happen)."""
        ...

    def lock(self, job_id: str) -> AbstractContextManager[None]:
        """Hold the job's lock, or raise JobBusy when another worker holds it."""
        ...
