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
from agents.stages.grammar import parse_request, revise_request
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
_SOURCES = frozenset({"sources", "recursive"})
"""Which files are read: the inspection reads them afresh (a change to a loaded branch)."""
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
    if row.revised_through:
        return _revision_of_loaded(revised, change, changed, row.revised_through)
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


def _revision_of_loaded(
    revised: ImportRequest, change: str, changed: set[str], owners: tuple[Step, ...]
) -> Revision | str:
    """A change to a loaded branch goes to the latest step that, with the steps after it,
    rereads what it changes (the plan for a filter, the schema for a key, the inspection for
    how or which files are read)."""
    for owner in owners:
        rereads = rereads_through(owner, owners[0])
        if owner == Step.INSPECT:
            rereads |= _SOURCES
        if changed <= rereads:
            return Revision(revised, owner)
    about = sorted({_ABOUT.get(name, "the schema") for name in changed - _SOURCES})
    return (
        f'"{change}" changes {" and ".join(about)}, which a new revision of the branch cannot '
        "redo: discard it and send the request again with the change."
    )


def reads_as_a_change(job: Job, change: str) -> bool:
    """Whether the request grammar reads `change` as changing the job's request as said so far
    (the request and every change to the understanding): "key id", "no foreign keys"."""
    said = [v.feedback for v in job.artifacts.get(Stage.UNDERSTANDING, []) if v.feedback]
    text = "\n".join([job.text, *said])
    try:
        before, after = parse_request(text), revise_request(text, change)
    except RequestNotUnderstood:
        return False
    return any(
        getattr(after, name) != getattr(before, name)
        for name in ImportRequest.model_fields
        if name not in _IGNORED
    )
