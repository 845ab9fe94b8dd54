"""What a job's failure says when a step gives up: in words the person can act on.

A step gives up when its retries on a transient error are used up (the model or the database
did not answer), when it runs into the task's time limit, when the worker's own settings keep
it from working (no API key for the model), or when the watchdog found its worker stopped too
often. Each says what happened, that nothing reached `main`, and what to do next.
"""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from agents.errors import LlmUnavailable
from dolt.errors import Busy, ConnectionLost
from workers.stage_table import Step, step_row

RETRY_HINT = (
    "Nothing reached main. Retry it once that is fixed (the Retry button, or "
    "`importbot retry {job}`)."
)


def _hint(job_id: str) -> str:
    return RETRY_HINT.format(job=job_id)


def retries_used_up(job_id: str, step: Step, error: BaseException, *, tries: int) -> str:
    """A transient error that did not go away in `tries` tries."""
    words = step_row(step).words
    if isinstance(error, LlmUnavailable):
        said = str(error).rstrip(".")
        cause = (
            f"The language model did not answer while {words} ({said}). Check the model "
            "endpoint (OPENAI_BASE_URL, IMPORTBOT_MODELS) or its status page."
        )
    elif isinstance(error, Busy | ConnectionLost):
        cause = f"The database did not answer while {words} ({error}). Check that it is up."
    else:
        cause = f"{words.capitalize()} kept failing: {error}."
    return f"Gave up after {tries} tries. {cause} {_hint(job_id)}"


def waiting(step: Step, error: BaseException, *, tries: int) -> str:
    """Said once, at the first transient failure: the job is not forgotten, it waits."""
    said = str(error).rstrip(".")
    return (
        f"Still {step_row(step).words}: {said}. Trying again with growing pauses "
        f"({tries} tries in all); if it keeps failing, the job fails saying so."
    )


def step_error(job_id: str, step: Step, error: BaseException) -> str:
    """An error no step expects: the time limit, or a bug (named, not shown)."""
    if isinstance(error, SoftTimeLimitExceeded):
        return (
            f"{step_row(step).words.capitalize()} ran into the task time limit "
            "(IMPORTBOT_TASK_TIME_LIMIT) and was stopped. Ask for less (fewer files, a "
            f"filter), or ask the operator for a longer limit. {_hint(job_id)}"
        )
    return f"Internal error in {step}: {type(error).__name__}. Nothing was merged."


def model_not_configured(job_id: str, step: Step, problem: str) -> str:
    """The worker's model settings are wrong (no API key, say): no try can succeed."""
    return (
        f"The worker cannot ask the language model while {step_row(step).words}: {problem} "
        f"The operator has to fix the worker's settings. {_hint(job_id)}"
    )


def worker_stopped(job_id: str, step: Step, *, restarts: int) -> str:
    """The watchdog found the step's worker stopped again after running it `restarts` times."""
    return (
        f"The worker {step_row(step).words} stopped {_times(restarts + 1)} without finishing "
        "(killed, out of memory, or past the task time limit). Ask for less, or ask the "
        f"operator to look at the workers (`importbot doctor`). {_hint(job_id)}"
    )


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
