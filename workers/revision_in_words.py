"""A change to a shown schema or plan, said in words the request grammar reads ("no foreign
keys", "type zip VARCHAR(10)", "only rows where species is Adelie"): applied without a model.

The change is read with the request and every change said to the understanding so far; the
revised request becomes the understanding's next version and the step the stage table says a
revision owes runs again on it. A step applies only what it reads afresh (`StepRow.rereads`):
a change that needs an earlier step made again (how the files are read, said while the schema
or plan is shown) redoes the step the stage table names (`StageRow.redone_from`) and every step
after it; a change none of those steps rereads is refused, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.artifacts import ImportRequest
from agents.errors import RequestNotUnderstood
from agents.stages.grammar import revise_request
from workers.job import Job
from workers.stage_table import Action, Stage, StageRow, Step, rereads_through, step_row

NEEDS_MODEL = (
    "Changes in your own words need a language model (set IMPORTBOT_LLM); without one, "
    "approve, cancel, or start a new request."
)
# What a field of the request is about, for a change the step cannot apply
_ABOUT = {
    "read": "how the files are read",
    "sources": "which files are read",
    "recursive": "which files are read",
    "nested_lists": "how nested lists are read",
    "database": "the target database",
}
_IGNORED = frozenset({"summary", "notes", "understood_by", "status", "reason"})


@dataclass(frozen=True)
class Revision:
    """A change in words the grammar read: the revised request, and the step that applies it
    (the stage's own, or the earlier step it needs redone)."""

    request: ImportRequest
    step: Step


def revised_in_words(job: Job, change: str, row: StageRow) -> Revision | str:
    """The request with `change` applied to the stage of `row`, and the step to run on it, or
    why it cannot be (a message for the person: `NEEDS_MODEL` when the grammar cannot read the
    change)."""
    said = [v.feedback for v in job.artifacts.get(Stage.UNDERSTANDING, []) if v.feedback]
    current = job.request()
    try:
        revised = revise_request("\n".join([job.text, *said]), change)
    except RequestNotUnderstood as error:
        problem = str(error).split("\n\n", 1)[0]
        return f"{NEEDS_MODEL} (The request grammar read: {problem})"
    changed = {
        name
        for name in ImportRequest.model_fields
        if name not in _IGNORED and getattr(revised, name) != getattr(current, name)
    }
    if not changed:
        return NEEDS_MODEL
    step = row.step_for(Action.REVISE)
    if changed <= step_row(step).rereads:
        return Revision(revised, step)
    redone = row.redone_from
    if redone is not None and changed <= rereads_through(redone, step):
        return Revision(revised, redone)
    about = sorted({_ABOUT.get(name, "the schema") for name in changed - step_row(step).rereads})
    return (
        f'"{change}" changes {" and ".join(about)}, which {step_row(step).words} does not '
        "redo: cancel and send the request again with it."
    )
