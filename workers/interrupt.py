"""A job stopped by Ctrl-C in this process (the terminal), or cancelled by a person while one
of its steps runs (anywhere): recorded as cancelled, its branch removed, so nothing of it
reaches `main` or stays behind for review.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from agents.execution.branches import branch_name
from dolt.errors import BranchNotFound, DoltError
from workers.context import StageContext
from workers.job import Job, Person
from workers.job_store import JobStore
from workers.leftovers import drop_created_database
from workers.states import OPEN, Status

INTERRUPTED = "interrupted"


class JobCancelled(KeyboardInterrupt):
    """The job was cancelled while this step ran. Raised by the step's progress callback, it
    stops a load between statements exactly as Ctrl-C does (the native loader's callback stops
    on it; `except Exception` does not catch it)."""


def stop_if_cancelled(store: JobStore, job_id: str) -> None:
    """Called at every batch of a load: raise `JobCancelled` once the job was cancelled."""
    if store.cancelled(job_id):
        raise JobCancelled(f"Job {job_id} was cancelled.")


_pressed = threading.Event()


@contextlib.contextmanager
def ctrl_c_noticed() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt as usual, and is remembered: DuckDB turns it into an
    error of its own ("Query interrupted"), which `as_interrupt` turns back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def press(signum: int, frame: object) -> None:
        _pressed.set()
        raise KeyboardInterrupt

    _pressed.clear()
    previous = signal.signal(signal.SIGINT, press)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _pressed.clear()


@contextlib.contextmanager
def as_interrupt() -> Iterator[None]:
    """Any error raised after Ctrl-C was pressed is the interrupt (a step stopped by it has
    not failed)."""
    try:
        yield
    except Exception as error:
        if _pressed.is_set():
            raise KeyboardInterrupt from error
        raise


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """A second Ctrl-C while cleaning up is ignored (in the main thread), so the cleanup ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_interrupted(ctx: StageContext, job_id: str, who: Person) -> bool:
    """Cancel the interrupted job and delete its branch; True when there was a branch."""

    def apply(job: Job) -> bool:
        if job.status not in OPEN:
            return False
        job.pending = None
        job.move(Status.CANCELLED, actor=who.id, action=INTERRUPTED, detail="Ctrl-C")
        return True

    job, changed = ctx.store.update(job_id, apply)
    removed = remove_branch(ctx, job)
    drop_created_database(ctx, job)
    if changed:
        ctx.port_for(job).finished(job)
    return removed


def remove_branch(ctx: StageContext, job: Job) -> bool:
    """Delete the job's import branch, if there is one; True when there was."""
    if not job.database or job.database not in ctx.server.list_databases():
        return False
    branch = branch_name(job.id)
    database = ctx.server.database(name=job.database)
    try:
        if branch not in (b.name for b in database.list_branches()):
            return False
        database.delete_branch(name=branch)
    except (BranchNotFound, DoltError):
        return False
    finally:
        database.close()
    return True
