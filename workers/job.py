"""The job record: everything about one import request, from the first message to merge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agents.artifacts import (
    FollowUpQuestions,
    ImportPlan,
    ImportRequest,
    Inspection,
    Review,
    SchemaProposal,
)
from workers.errors import IllegalTransition, OutdatedVersion
from workers.stage_table import Stage, Step, check_transition, stage_row, step_row
from workers.states import Status

A = TypeVar("A", bound=BaseModel)


def now() -> datetime:
    return datetime.now(UTC)


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    email: str | None = None


class Place(BaseModel):
    """Where the job is talked about: a Slack thread, the terminal, or a test's recording."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["slack", "terminal", "recording"]
    channel: str | None = None
    thread_ts: str | None = None


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    url: str | None = Field(None, description="Where the surface got it (a Slack file URL).")
    path: str | None = Field(None, description="The downloaded copy in the job's folder.")


class ArtifactVersion(BaseModel):
    version: int
    artifact: dict[str, Any]
    at: datetime = Field(default_factory=now)
    feedback: str | None = Field(None, description="The words this version answers.")
    approved_by: str | None = None


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime = Field(default_factory=now)
    actor: str = Field(description="A person's id, or 'worker' / 'system'.")
    action: str
    detail: str = ""
    status_from: Status | None = None
    status_to: Status | None = None


class BranchRevision(BaseModel):
    """One load of the job's branch: the first, then one per change asked for at review."""

    model_config = ConfigDict(frozen=True)

    number: int
    commit: str | None = Field(description="The load's data commit.")
    tip: str = Field(description="The branch's commit after the load (its ledger commit).")
    at: datetime = Field(default_factory=now)
    change: str = Field("", description="The change in words (empty for the first load).")
    tables: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per table: rows added, modified, deleted vs main."
    )
    rejected_rows: int = 0


class Job(BaseModel):
    id: str
    requester: Person
    place: Place
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    status: Status = Status.RECEIVED
    artifacts: dict[Stage, list[ArtifactVersion]] = Field(default_factory=dict)
    answers: dict[str, str] = Field(default_factory=dict)
    conversation: list[str] = Field(default_factory=list)
    pending: Step | None = Field(
        Step.UNDERSTAND, description="The step owed next (set by a decision, cleared by the step)."
    )
    pending_by: Person | None = Field(None, description="Who asked for the pending step.")
    database: str | None = None
    created_database: bool = Field(
        False,
        description="This job's inspection created the database: a failed or cancelled job "
        "deletes it again while it holds nothing.",
    )
    branch: str | None = None
    commit: str | None = None
    merge_commit: str | None = None
    reverts: str | None = Field(
        None, description="The merged job whose merge this job's branch reverts (a revert job)."
    )
    reverted_by: str | None = Field(
        None,
        description="The revert job started for this merged job (it counts while it is open "
        "or merged; one discarded, cancelled or failed lets a new revert start).",
    )
    revisions: list[BranchRevision] = Field(
        default_factory=list, description="The loads of the branch, oldest first."
    )
    refining: str | None = Field(
        None,
        description="A change asked for at review: the next execute loads it as a new revision "
        "on the same branch.",
    )
    review_summary: dict[str, Any] | None = None
    llm_usage: list[dict[str, Any]] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)
    error: str | None = None
    failed_step: Step | None = Field(
        None, description="The step a failed job failed in: a retry runs it again."
    )
    failed_arguments: dict[str, str] = Field(
        default_factory=dict, description="The failed step's arguments (a change in words)."
    )
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)

    # -- reading ---------------------------------------------------------------------------
    def latest(self, stage: Stage) -> ArtifactVersion | None:
        versions = self.artifacts.get(stage)
        return versions[-1] if versions else None

    def version(self, stage: Stage) -> int:
        latest = self.latest(stage)
        return latest.version if latest else 0

    def check_version(self, stage: Stage, version: int) -> ArtifactVersion:
        """The latest version of a stage's artifact, if `version` is it; else refuse."""
        words = stage_row(stage).words
        latest = self.latest(stage)
        if latest is None:
            raise OutdatedVersion(f"Job {self.id} has no {words} yet.", current=0)
        if version != latest.version:
            raise OutdatedVersion(
                f"This {words} (version {version}) was replaced by version "
                f"{latest.version}; use the newest message.",
                current=latest.version,
            )
        return latest

    def artifact(self, stage: Stage, model: type[A]) -> A:
        """The newest version of a stage's artifact as its model; refused when there is none."""
        row = stage_row(stage)
        if not issubclass(row.artifact, model):
            raise TypeError(f"The {row.words} is a {row.artifact.__name__}, not {model.__name__}.")
        latest = self.latest(stage)
        if latest is None:
            raise IllegalTransition(
                f"Job {self.id} is {self.status.words}; it has no {row.words} yet."
            )
        return model.model_validate(latest.artifact)

    def request(self) -> ImportRequest:
        return self.artifact(Stage.UNDERSTANDING, ImportRequest)

    def inspection(self) -> Inspection:
        return self.artifact(Stage.INSPECTION, Inspection)

    def questions(self) -> FollowUpQuestions:
        return self.artifact(Stage.QUESTIONS, FollowUpQuestions)

    def schema_proposal(self) -> SchemaProposal:
        return self.artifact(Stage.SCHEMA, SchemaProposal)

    def import_plan(self) -> ImportPlan:
        return self.artifact(Stage.PLAN, ImportPlan)

    def review(self) -> Review:
        return self.artifact(Stage.REVIEW, Review)

    def has(self, stage: Stage) -> bool:
        return bool(self.artifacts.get(stage))

    def owes(self, step: Step) -> bool:
        """Whether the job owes exactly this step now (a repeated delivery finds it done)."""
        return self.pending == step and self.status in step_row(step).runs_in

    # -- changing (the store saves the result) ----------------------------------------------
    def add_artifact(
        self, stage: Stage, artifact: BaseModel, *, feedback: str | None = None
    ) -> int:
        stage = Stage(stage)
        version = self.version(stage) + 1
        self.artifacts.setdefault(stage, []).append(
            ArtifactVersion(
                version=version, artifact=artifact.model_dump(mode="json"), feedback=feedback
            )
        )
        return version

    def move(self, to: Status, *, actor: str, action: str, detail: str = "") -> None:
        """Change status through the state machine; the audit log records it."""
        check_transition(self.id, self.status, to)
        self.audit.append(
            AuditEntry(
                actor=actor, action=action, detail=detail, status_from=self.status, status_to=to
            )
        )
        self.status = to
        self.updated_at = now()

    def record(self, *, actor: str, action: str, detail: str = "") -> None:
        """An audit entry that changes no status (an approval, a revision request)."""
        self.audit.append(AuditEntry(actor=actor, action=action, detail=detail))
        self.updated_at = now()
