"""The one table of a job's stages and steps: every name, and the words people read for it.

A *stage* is an artifact the job keeps in versions and people may see and decide about (the
understanding, the schema proposal, …). A *step* is the work that makes one (understand,
propose_schema, …); it runs as a Celery task or inline in the terminal. An *action* is what a
person decides about a stage. Everything else is read off these rows: the state machine's
transitions, the Celery task names, which steps open the target database, the stage a Slack
button acts on, the words in messages. Adding a stage is one row here and one step function in
`workers.steps`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from agents.artifacts import (
    FollowUpQuestions,
    ImportPlan,
    ImportRequest,
    Inspection,
    Review,
    SchemaProposal,
)
from workers.errors import IllegalTransition
from workers.states import FINAL, Status


class Stage(StrEnum):
    UNDERSTANDING = "understanding"
    INSPECTION = "inspection"
    QUESTIONS = "questions"
    SCHEMA = "schema"
    PLAN = "plan"
    REVIEW = "review"


class Step(StrEnum):
    UNDERSTAND = "understand"
    INSPECT = "inspect"
    PROPOSE_SCHEMA = "propose_schema"
    PLAN = "plan"
    EXECUTE = "execute"
    MERGE = "merge"
    DISCARD = "discard"
    REVERT = "revert"


class Action(StrEnum):
    APPROVE = "approve"
    REVISE = "revise"
    ANSWER = "answer"
    SKIP = "skip"
    MERGE = "merge"
    DISCARD = "discard"
    CANCEL = "cancel"
    RETRY = "retry"
    EDIT_REQUEST = "edit_request"
    REVERT = "revert"

    @property
    def words(self) -> str:
        """What a person did, as a message says it ("Decided: skip the questions")."""
        return _ACTION_WORDS[self]


_ACTION_WORDS = {
    Action.APPROVE: "approve",
    Action.REVISE: "change",
    Action.ANSWER: "answer",
    Action.SKIP: "skip the questions",
    Action.MERGE: "merge",
    Action.DISCARD: "discard",
    Action.CANCEL: "cancel",
    Action.RETRY: "retry",
    Action.EDIT_REQUEST: "edit the request",
    Action.REVERT: "revert the merge",
}
AFTER_FAILURE = frozenset({Action.RETRY, Action.EDIT_REQUEST})
"""Decisions about a failed job: run the step that failed again, or read the request anew
with the person's change (every stage takes them once the job failed, as every open one takes
cancel)."""


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    words: str
    """How people call the artifact: "This schema proposal was replaced"."""
    shown_as: str
    """What a person is asked to change: "what should change in the proposed schema"."""
    artifact: type[BaseModel]
    made_by: Step
    waits_in: Status | None
    """The status in which its newest version awaits a decision (None: shown, never decided)."""
    decisions: Mapping[Action, Step] = field(default_factory=dict)
    """What each decision about it owes next (besides cancel, which every stage takes)."""
    decided_moves_to: Status | None = None
    """Where a decision that schedules a step moves the job (None: the status stays)."""
    redone_from: Step | None = None
    """The earlier step a change in words redoes when the stage's own step does not reread
    what it changes (how the files are read): it and every step after it run again, the job
    moved back to the status that step runs in (None: such a change is refused)."""
    revised_through: tuple[Step, ...] = ()
    """For a stage shown after its artifact was loaded (the review): the steps a change in
    words may go back to, the latest first. The change goes to the latest one that, with the
    steps after it, rereads every field it changes; the job moves back to the status that step
    runs in, and from there the normal flow runs again (a revision of the loaded branch)."""

    def step_for(self, action: Action) -> Step:
        if action not in self.decisions:
            raise IllegalTransition(f"'{action.value}' is not a decision about the {self.words}.")
        return self.decisions[action]


@dataclass(frozen=True)
class StepRow:
    step: Step
    words: str
    """What the job is doing meanwhile: "Already working on it (proposing the schema)"."""
    runs_in: tuple[Status, ...]
    """The statuses in which a job can owe this step."""
    moves_to: tuple[Status, ...]
    """Where its result moves the job."""
    opens_database: bool
    """Whether it opens (and may write to) the target database: its queue is the database's."""
    asks_model: bool = False
    """Whether it may ask the language model: a worker whose model is not configured
    properly fails it at once, saying what to fix."""
    rereads: frozenset[str] = frozenset()
    """The request's fields it reads afresh each time it runs: a change in words to these (read
    by the grammar, no model) is applied by running the step again on the revised request."""

    @property
    def task_name(self) -> str:
        return f"workers.{self.step.value}"


STAGES: tuple[StageRow, ...] = (
    StageRow(
        Stage.UNDERSTANDING,
        "understanding",
        "my understanding of the request",
        ImportRequest,
        made_by=Step.UNDERSTAND,
        waits_in=Status.AWAITING_CONFIRMATION,
        decisions={Action.APPROVE: Step.INSPECT, Action.REVISE: Step.UNDERSTAND},
        decided_moves_to=Status.INSPECTING,
    ),
    StageRow(
        Stage.INSPECTION,
        "inspection",
        "the inspection of the sources",
        Inspection,
        made_by=Step.INSPECT,
        waits_in=None,
    ),
    StageRow(
        Stage.QUESTIONS,
        "questions",
        "the questions",
        FollowUpQuestions,
        made_by=Step.INSPECT,
        waits_in=Status.AWAITING_ANSWERS,
        decisions={Action.ANSWER: Step.PROPOSE_SCHEMA, Action.SKIP: Step.PROPOSE_SCHEMA},
        decided_moves_to=Status.INSPECTING,
    ),
    StageRow(
        Stage.SCHEMA,
        "schema proposal",
        "the proposed schema",
        SchemaProposal,
        made_by=Step.PROPOSE_SCHEMA,
        waits_in=Status.AWAITING_SCHEMA_APPROVAL,
        decisions={Action.APPROVE: Step.PLAN, Action.REVISE: Step.PROPOSE_SCHEMA},
        redone_from=Step.INSPECT,
    ),
    StageRow(
        Stage.PLAN,
        "plan",
        "the import plan",
        ImportPlan,
        made_by=Step.PLAN,
        waits_in=Status.AWAITING_PLAN_APPROVAL,
        decisions={Action.APPROVE: Step.EXECUTE, Action.REVISE: Step.PLAN},
        decided_moves_to=Status.RUNNING,
        redone_from=Step.INSPECT,
    ),
    StageRow(
        Stage.REVIEW,
        "review",
        "the import",
        Review,
        made_by=Step.EXECUTE,
        waits_in=Status.AWAITING_REVIEW,
        decisions={
            Action.MERGE: Step.MERGE,
            Action.DISCARD: Step.DISCARD,
            Action.REVISE: Step.PLAN,
        },
        revised_through=(Step.PLAN, Step.PROPOSE_SCHEMA, Step.INSPECT),
    ),
)

STEPS: tuple[StepRow, ...] = (
    StepRow(
        Step.UNDERSTAND,
        "reading the request",
        runs_in=(Status.RECEIVED, Status.AWAITING_CONFIRMATION),
        moves_to=(Status.AWAITING_CONFIRMATION,),
        opens_database=False,
        asks_model=True,
    ),
    StepRow(
        Step.INSPECT,
        "inspecting the sources",
        runs_in=(Status.INSPECTING,),
        moves_to=(Status.AWAITING_ANSWERS,),
        opens_database=True,
        asks_model=True,
        rereads=frozenset({"read", "nested_lists"}),
    ),
    StepRow(
        Step.PROPOSE_SCHEMA,
        "proposing the schema",
        runs_in=(Status.INSPECTING, Status.AWAITING_SCHEMA_APPROVAL),
        moves_to=(Status.AWAITING_SCHEMA_APPROVAL,),
        opens_database=True,
        asks_model=True,
        rereads=frozenset(
            {"table", "key", "mode", "create_tables", "where", "value_filters", "overrides"}
        ),
    ),
    StepRow(
        Step.PLAN,
        "planning the import",
        runs_in=(Status.AWAITING_SCHEMA_APPROVAL, Status.AWAITING_PLAN_APPROVAL),
        moves_to=(Status.AWAITING_PLAN_APPROVAL,),
        opens_database=True,
        asks_model=True,
        rereads=frozenset({"mode", "where", "value_filters"}),
    ),
    StepRow(
        Step.EXECUTE,
        "loading the branch",
        runs_in=(Status.RUNNING,),
        moves_to=(Status.AWAITING_REVIEW,),
        opens_database=True,
    ),
    StepRow(
        Step.MERGE,
        "merging",
        runs_in=(Status.AWAITING_REVIEW,),
        moves_to=(Status.MERGED,),
        opens_database=True,
    ),
    StepRow(
        Step.DISCARD,
        "discarding",
        runs_in=(Status.AWAITING_REVIEW,),
        moves_to=(Status.DISCARDED,),
        opens_database=True,
    ),
    StepRow(  # a new job's only step: the branch that undoes a merged import, then its review
        Step.REVERT,
        "making the branch that reverts the merge",
        runs_in=(Status.RUNNING,),
        moves_to=(Status.AWAITING_REVIEW,),
        opens_database=True,
    ),
)

_STAGE_ROWS = {row.stage: row for row in STAGES}
_STEP_ROWS = {row.step: row for row in STEPS}
_WAITING_IN = {row.waits_in: row for row in STAGES if row.waits_in is not None}
DECIDE_TASK = "workers.decide"


def stage_row(stage: Stage | str) -> StageRow:
    return _STAGE_ROWS[Stage(stage)]


def step_row(step: Step | str) -> StepRow:
    return _STEP_ROWS[Step(step)]


def rereads_through(first: Step, last: Step) -> frozenset[str]:
    """The request's fields read afresh when `first` and the steps after it run again, up to
    and including `last` (in the order of the table's steps)."""
    order = [row.step for row in STEPS]
    return frozenset().union(
        *(row.rereads for row in STEPS[order.index(first) : order.index(last) + 1])
    )


def awaited_stage(status: Status) -> StageRow | None:
    """The stage whose artifact a job in this status waits for a decision about."""
    return _WAITING_IN.get(status)


# -- the state machine, read off the rows ----------------------------------------------------
def _transitions() -> dict[Status, frozenset[Status]]:
    """A step moves a job from each status it runs in to where its result goes; a decision
    moves it from where its stage waits to where the decision goes, and a change that redoes an
    earlier step back to where that step runs. A status listed as its own successor takes a new
    version of its artifact (a revision)."""
    pairs = {(start, end) for row in STEPS for start in row.runs_in for end in row.moves_to}
    pairs |= {
        (row.waits_in, row.decided_moves_to)
        for row in STAGES
        if row.waits_in is not None and row.decided_moves_to is not None
    }
    pairs |= {
        (row.waits_in, start)
        for row in STAGES
        if row.waits_in is not None and row.redone_from is not None
        for start in step_row(row.redone_from).runs_in
    }
    pairs |= {
        (row.waits_in, step_row(step).runs_in[0])
        for row in STAGES
        if row.waits_in is not None
        for step in row.revised_through
    }
    return {
        status: frozenset(end for start, end in pairs if start == status)
        for status in {start for start, _ in pairs}
    }


NEXT: dict[Status, frozenset[Status]] = _transitions()
"""Where each status may go next, besides cancelled and failed (open to every open status)."""

RETRIED_IN: frozenset[Status] = frozenset(status for row in STEPS for status in row.runs_in)
"""Where a failed job may go again: back to a status in which the step that failed runs."""


def allowed(current: Status, to: Status) -> bool:
    if current == Status.FAILED:
        return to in RETRIED_IN
    if current in FINAL:
        return False
    if to in (Status.CANCELLED, Status.FAILED):
        return True
    return to in NEXT.get(current, frozenset())


def check_transition(job_id: str, current: Status, to: Status) -> None:
    """Refuse a transition the state machine does not have, saying what the job is doing."""
    if allowed(current, to):
        return
    raise IllegalTransition(f"Job {job_id} cannot become {to.words}: {current.why_not}.")
