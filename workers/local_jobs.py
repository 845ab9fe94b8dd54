"""Import jobs run in this process (the terminal): the stages in order, nothing queued.

The job's branch and its commit message carry its state in the database; the job's own
folder keeps what must not go into the database (the artifacts and the rejected rows).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from agents import pipeline
from agents.executor import branch_name
from agents.review import Review, build_review
from agents.sources import SourcePolicy
from agents.stages.repair import Parses
from dolt.errors import BranchNotFound, DoltError
from dolt.interface import Database, DoltServer
from dolt.models import Author, MergeResult
from workers.conversation import Conversation, Decision

Status = Literal["awaiting_review", "cancelled", "merged", "discarded"]
MAX_REVISIONS = 5
NEEDS_MODEL = (
    "Changes in your own words need a language model (set IMPORTBOT_LLM); without one, "
    "approve, cancel, or run a new request."
)


@dataclass(frozen=True)
class LocalSetup:
    server: DoltServer
    policy: SourcePolicy
    jobs_dir: Path
    author: Author
    llm: Parses | None = None


@dataclass(frozen=True)
class ImportOutcome:
    job: str
    status: Status
    database: str | None
    branch: str | None
    review: Review | None = None
    stopped_at: str | None = None


@dataclass
class _Talk:
    """The conversation so far, as the stages see it."""

    lines: list[str] = field(default_factory=list)

    def add(self, who: str, text: str) -> None:
        self.lines.append(f"{who}: {text}")


class _Cancelled(Exception):
    def __init__(self, stage: str) -> None:
        self.stage = stage


def run_import(text: str, *, setup: LocalSetup, conversation: Conversation) -> ImportOutcome:
    job = pipeline.new_job_id()
    talk = _Talk()
    talk.add("person", text)
    try:
        request = _agreed(
            lambda previous, said: pipeline.understand(
                f"{text}\n{said}" if said and setup.llm is None else text,
                llm=setup.llm,
                conversation=talk.lines,
            ),
            conversation.confirm_understanding,
            stage="understand",
            talk=talk,
            conversation=conversation,
            llm=setup.llm,
            revise_without_model=True,
        )
        workdir = setup.jobs_dir / job
        workdir.mkdir(parents=True, exist_ok=True)
        database = setup.server.database(name=request.database, create=True)
    except _Cancelled as stop:
        return ImportOutcome(job, "cancelled", None, None, stopped_at=stop.stage)
    try:
        return _inspect_and_run(
            job,
            text,
            request,
            database=database,
            workdir=workdir,
            setup=setup,
            conversation=conversation,
            talk=talk,
        )
    except _Cancelled as stop:
        return ImportOutcome(job, "cancelled", database.name, None, stopped_at=stop.stage)
    finally:
        database.close()


def _inspect_and_run(job, text, request, *, database, workdir, setup, conversation, talk):
    inspection, staging = pipeline.inspect(
        request, database=database, policy=setup.policy, workdir=workdir
    )
    try:
        baseline = pipeline.baseline_schema(request, inspection)
        questions = pipeline.ask(request, inspection, baseline=baseline, llm=setup.llm)
        answers = conversation.answer_questions(questions) if questions else {}
        for question in questions:
            talk.add(
                "question",
                f"{question.text} — answer: {answers.get(question.id, question.default)}",
            )
        schema = _agreed(
            lambda previous, said: pipeline.propose(
                request,
                inspection,
                database=database,
                llm=setup.llm,
                previous=previous,
                answers=answers,
                conversation=talk.lines,
                feedback=said or None,
            ),
            conversation.approve_schema,
            stage="schema",
            talk=talk,
            conversation=conversation,
            llm=setup.llm,
        )
        plan = _agreed(
            lambda previous, said: pipeline.plan(
                request,
                inspection,
                schema,
                staging=staging,
                database=database,
                llm=setup.llm,
                previous=previous,
                conversation=talk.lines,
            ),
            conversation.approve_plan,
            stage="plan",
            talk=talk,
            conversation=conversation,
            llm=setup.llm,
        )
        review = pipeline.run(
            job_id=job,
            text=text,
            author=setup.author,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
            on_progress=conversation.progress,
        )
    finally:
        staging.close()
    _save(
        workdir,
        request=request.model_dump(mode="json"),
        schema=schema.model_dump(mode="json"),
        plan=plan.model_dump(mode="json"),
        review=review.model_dump(mode="json"),
        conversation=talk.lines,
        llm_usage=[asdict(usage) for usage in getattr(setup.llm, "usage", [])],
    )
    conversation.show_review(review)
    return ImportOutcome(job, "awaiting_review", database.name, review.branch, review=review)


def _agreed(make, ask, *, stage, talk, conversation, llm, revise_without_model=False):
    """Make an artifact and ask the person until they approve it (or cancel)."""
    artifact = make(None, "")
    for _ in range(MAX_REVISIONS + 1):
        for note in getattr(artifact, "notes", []):
            conversation.notice(note)
        decision: Decision = ask(artifact)
        if decision.action == "approve":
            talk.add("person", f"approved the {stage}")
            return artifact
        if decision.action == "cancel":
            raise _Cancelled(stage)
        if llm is None and not revise_without_model:
            conversation.notice(NEEDS_MODEL)
            continue
        talk.add("person", f"change the {stage}: {decision.feedback}")
        artifact = make(artifact, decision.feedback)
    raise _Cancelled(stage)


def _save(workdir: Path, **artifacts: object) -> None:
    (workdir / "job.json").write_text(json.dumps(artifacts, indent=2, default=str))


def find_branch(server: DoltServer, job_or_branch: str) -> tuple[Database, str]:
    """The database and branch of a job id (`import/<id>`) or a branch name."""
    branch = job_or_branch if "/" in job_or_branch else branch_name(job_or_branch)
    for name in server.list_databases():
        database = server.database(name=name)
        try:
            database.branch(name=branch)
        except (BranchNotFound, DoltError):
            database.close()
            continue
        return database, branch
    raise BranchNotFound(
        f"No database at {server.url} has a branch {branch!r}; `importbot branches` lists them."
    )


def review_import(job_or_branch: str, *, setup: LocalSetup) -> Review:
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        saved = _saved_review(setup.jobs_dir, branch)
        review = build_review(database, branch=branch)
        if saved is not None:
            review = review.model_copy(
                update={
                    "rejected_rows": saved.rejected_rows,
                    "rejects": saved.rejects,
                    "checks_passed": saved.checks_passed,
                }
            )
        return review
    finally:
        database.close()


def _saved_review(jobs_dir: Path, branch: str) -> Review | None:
    path = jobs_dir / branch.removeprefix("import/") / "job.json"
    if not path.is_file():
        return None
    return Review.model_validate(json.loads(path.read_text())["review"])


def merge_import(job_or_branch: str, *, setup: LocalSetup) -> tuple[str, str, MergeResult]:
    """Merge a reviewed import into main (refused with the preview on conflicts)."""
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        result = database.merge(
            branch=branch, message=f"Merge {branch}", author=setup.author, into="main"
        )
        database.delete_branch(name=branch)
        return database.name, branch, result
    finally:
        database.close()


def discard_import(job_or_branch: str, *, setup: LocalSetup) -> tuple[str, str]:
    database, branch = find_branch(setup.server, job_or_branch)
    try:
        database.delete_branch(name=branch)
        database.gc()
        return database.name, branch
    finally:
        database.close()
