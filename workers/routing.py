"""Which queue a step goes to: one writer per doltlite database, parallel for Dolt sql-server."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from workers.job import Job
from workers.stage_table import Step, step_row

STAGES_QUEUE = "stages"
SERVER_QUEUE = "server"


@dataclass(frozen=True)
class Routing:
    embedded: bool
    """True for doltlite (one writer per file), False for a Dolt sql-server."""
    doltlite_shards: int = 1
    """Queues `doltlite.0 … doltlite.N-1`; each must be consumed by exactly one worker process
    (concurrency 1), so all writes to one database file go through one process in order."""

    def queue(self, step: Step | str, job: Job) -> str:
        """Steps that open the target database (and may write to it: scratch branches, the
        import) go to the database's queue; the others to the stages queue."""
        if not step_row(step).opens_database or not job.database:
            return STAGES_QUEUE
        if not self.embedded:
            return SERVER_QUEUE
        return doltlite_queue(job.database, self.doltlite_shards)

    def all_queues(self) -> list[str]:
        if not self.embedded:
            return [STAGES_QUEUE, SERVER_QUEUE]
        return [STAGES_QUEUE, *(f"doltlite.{n}" for n in range(self.doltlite_shards))]


def doltlite_queue(database: str, shards: int) -> str:
    return f"doltlite.{zlib.crc32(database.encode()) % max(shards, 1)}"
