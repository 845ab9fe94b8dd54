"""What a stage needs around it, composed by the entry point (worker, CLI or test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agents.sources.resolve import SourcePolicy
from agents.stages.repair import Parses
from dolt.interface import DoltServer
from dolt.models import Author
from workers.conversation import ConversationPort
from workers.heartbeats import RedisHeartbeats
from workers.job import Attachment, Job, Person
from workers.job_store import JobStore
from workers.stage_table import Step

if TYPE_CHECKING:  # the pipeline is heavy to import; a context only holds its stagings
    from agents.pipeline import Staging


class Scheduler(Protocol):
    def schedule(self, step: Step, job: Job, **arguments: str) -> None:
        """Run `step` for `job` later (a Celery task, or next in this process)."""
        ...


def author_of(person: Person) -> Author:
    """Dolt commits name the person: their real name and email (or an id-based address)."""
    return Author(name=person.name, email=person.email or f"{person.id}@users.importbot")


@dataclass(frozen=True)
class StageContext:
    store: JobStore
    server: DoltServer
    policy: SourcePolicy
    jobs_dir: Path
    scheduler: Scheduler
    port_for: Callable[[Job], ConversationPort]
    llm: Parses | None = None
    fetch_attachment: Callable[[Attachment, Path], Path] | None = None
    """Downloads an attachment the surface recorded by URL into the job's folder."""
    stagings: dict[str, Staging] | None = None
    """Jobs' staged sources kept open between steps in one process (the terminal); None on
    workers, whose next step may run elsewhere and stages again."""
    heartbeats: RedisHeartbeats | None = None
    """Where running steps beat (workers); None in the terminal, which watches its own."""
    model_problem: str | None = None
    """Why the configured language model cannot be used (no API key, say): the steps that ask
    it fail at once, saying so, instead of retrying what cannot succeed."""

    def workdir(self, job_id: str) -> Path:
        folder = self.jobs_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder
