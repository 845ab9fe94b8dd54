"""The names of import branches: `import/<job id>`, the only branches an import writes to."""

from __future__ import annotations

PREFIX = "import/"


def branch_name(job_id: str) -> str:
    """The branch a job writes to."""
    return f"{PREFIX}{job_id}"


def job_id_of(job_or_branch: str) -> str:
    """The job id a person typed, or the job id in an import branch's name."""
    return job_or_branch.removeprefix(PREFIX)
