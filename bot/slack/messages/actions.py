"""Action ids of every interactive element, and the references their values carry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workers.stage_table import STAGES, Stage

CONFIRM_UNDERSTANDING = "confirm_understanding"
EDIT_UNDERSTANDING = "edit_understanding"
CANCEL = "cancel_job"
ANSWER_QUESTION = "answer_question"
SKIP_QUESTIONS = "skip_questions"
SUBMIT_ANSWERS = "submit_answers"
APPROVE_SCHEMA = "approve_schema"
CHANGE_SCHEMA = "change_schema"
RUN_PLAN = "run_plan"
CHANGE_PLAN = "change_plan"
MERGE = "merge_import"
DISCARD = "discard_import"
CHANGE_IMPORT = "change_import"
RETRY = "retry_job"
REVERT = "revert_import"
EDIT_FAILED_REQUEST = "edit_failed_request"
CHANGES_MODAL_CALLBACK = "request_changes"
EDIT_REQUEST_MODAL_CALLBACK = "edit_failed_request_modal"
NEW_IMPORT = "new_import"
"""The App Home's New import button: opens the new import modal (its value is no ButtonRef)."""
NEW_IMPORT_MODAL_CALLBACK = "new_import_modal"

DECIDED_STAGES = tuple(row.stage for row in STAGES if row.waits_in is not None)
"""The stages a button can act on: those whose artifact awaits a decision."""
MAX_JOB_LENGTH = 100
_MAX_ENCODED = 2000  # Slack's limit on a button value
MAX_BLOCK_ID = 255
_JOB = re.compile(rf"[\w.:/@+-]{{1,{MAX_JOB_LENGTH}}}")


@dataclass(frozen=True)
class ButtonRef:
    """Which artifact a button acts on: the job, the stage, and the artifact's version.

    A click on a button of an older version than the job's current one is stale.
    """

    job_id: str
    stage: Stage
    version: int

    def __post_init__(self) -> None:
        if not isinstance(self.job_id, str) or not _JOB.fullmatch(self.job_id):
            allowed = f"1 to {MAX_JOB_LENGTH} letters, digits or _.:/@+-"
            raise ValueError(f"A job id is {allowed}, not {self.job_id!r:.120}.")
        if self.stage not in DECIDED_STAGES:
            names = ", ".join(DECIDED_STAGES)
            raise ValueError(f"Unknown stage {self.stage!r}: expected one of {names}.")
        object.__setattr__(self, "stage", Stage(self.stage))
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 0:
            raise ValueError(f"A version is an integer >= 0, not {self.version!r}.")

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job_id, "stage": self.stage.value, "version": self.version}

    def encode(self) -> str:
        """Compact JSON, e.g. `{"job":"20250101-abc123","stage":"schema","version":2}`."""
        return json.dumps(self.as_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, value: str) -> ButtonRef:
        """Read a value made by `encode`; raise ValueError saying what is wrong with it."""
        return _ref_from(_load(value, what="button value"), what="button value", extra=set())


@dataclass(frozen=True)
class QuestionRef:
    """The block_id of a question's select: the questions' ButtonRef, the question's position
    in the list (authoritative) and its id (as much as fits in Slack's 255 characters).

    On a click, the select's `selected_option.value` is the index of the chosen choice; on
    Submit, read `state.values[block_id][ANSWER_QUESTION]` for every question block.
    """

    ref: ButtonRef
    index: int
    question_id: str

    def encode(self) -> str:
        question_id = self.question_id
        while True:
            data = {**self.ref.as_dict(), "q": self.index, "id": question_id}
            encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            if len(encoded) <= MAX_BLOCK_ID or not question_id:
                return encoded
            question_id = question_id[: len(question_id) - (len(encoded) - MAX_BLOCK_ID)]

    @classmethod
    def decode(cls, value: str) -> QuestionRef:
        data = _load(value, what="question block id")
        ref = _ref_from(data, what="question block id", extra={"q", "id"})
        index, question_id = data.get("q"), data.get("id")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError("Not a valid question block id: q must be an integer >= 0.")
        if not isinstance(question_id, str):
            raise ValueError("Not a valid question block id: id must be a string.")
        return cls(ref=ref, index=index, question_id=question_id)


def _ref_from(data: Any, *, what: str, extra: set[str]) -> ButtonRef:
    keys = {"job", "stage", "version"} | extra
    if not isinstance(data, dict) or set(data) != keys:
        raise ValueError(f"Not a {what}: expected an object with keys {', '.join(sorted(keys))}.")
    try:
        return ButtonRef(job_id=data["job"], stage=data["stage"], version=data["version"])
    except ValueError as error:
        raise ValueError(f"Not a valid {what}: {error}") from None


def _load(value: str, *, what: str) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"Not a {what}: expected a JSON string, got {value!r:.80}.")
    if len(value) > _MAX_ENCODED:
        raise ValueError(f"Not a {what}: {len(value)} characters is longer than Slack allows.")
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"Not a {what}: not JSON ({error.msg}): {value!r:.80}") from None
