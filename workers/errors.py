"""Errors of the job machinery: one root, subclasses that say what the person can do."""

from __future__ import annotations


class JobError(Exception):
    """Root of every error raised by the job machinery."""


class JobNotFound(JobError):
    """No job with that id (or in that thread)."""


class IllegalTransition(JobError):
    """The job is not in a state where this can happen; the message says why."""


class OutdatedVersion(JobError):
    """A decision about an artifact version that has since been replaced."""

    def __init__(self, message: str, *, current: int) -> None:
        super().__init__(message)
        self.current = current


class NotAllowed(JobError):
    """The person may not make this decision."""


class JobBusy(JobError):
    """Another worker holds the job's lock; the task is retried shortly."""


class ConcurrentUpdate(JobError):
    """The job kept changing under an update; try again."""


class ReviewOutdated(JobError):
    """A merge refused because main moved since the review in a way that changes it; the new
    review was recorded (and shown), so the old one's buttons are outdated."""
