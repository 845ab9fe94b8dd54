"""Steps run one after another in this process: the terminal's way to run a job."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from workers.job import Job
from workers.stage_table import Step

if TYPE_CHECKING:
    from workers.context import StageContext


class InlineScheduler:
    def __init__(self) -> None:
        self.pending: deque[tuple[Step, str, dict[str, str]]] = deque()

    def schedule(self, step: Step, job: Job, **arguments: str) -> None:
        self.pending.append((step, job.id, arguments))

    def run_pending(
        self,
        context: StageContext,
        *,
        around: Callable[[Step], AbstractContextManager[object]] | None = None,
    ) -> None:
        """Run scheduled steps (and the ones they schedule) until none is left; `around`
        (a spinner, say) wraps each step."""
        from workers.steps import run_step

        while self.pending:
            step, job_id, arguments = self.pending.popleft()
            with around(step) if around is not None else nullcontext():
                run_step(context, step, job_id, reraise=True, **arguments)
