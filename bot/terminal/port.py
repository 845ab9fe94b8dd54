"""The terminal side of the conversation port: shows each artifact and, on a TTY, asks.

What the person answers becomes a `DecisionRequest` that the terminal's job driver hands to
`workers.decisions.decide` — the same path a Slack click takes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import typer
from rich.console import Console, RenderableType
from rich.progress import Progress, TaskID
from rich.status import Status

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from bot.terminal import render
from bot.terminal.progress import end_where_loaded, load_progress
from workers.decisions import DecisionRequest
from workers.job import Job, Person
from workers.stage_table import Action, Stage, Step, step_row
from workers.states import Status as JobStatus
from workers.waiting import Reminder, reminder_text

YES_WORDS = ("y", "yes", "ok", "looks right", "approve")
NO_WORDS = ("n", "no", "cancel", "stop")


class TerminalPort:
    def __init__(self, *, ask: bool, quiet: bool, console: Console, person: Person) -> None:
        self.ask = ask
        self.quiet = quiet
        self.console = console
        self.person = person
        self.decisions: list[DecisionRequest] = []
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._spinner: Status | None = None

    def take_decision(self) -> DecisionRequest | None:
        return self.decisions.pop(0) if self.decisions else None

    def working(self, step: Step) -> AbstractContextManager[object]:
        """A spinner with the step's words while it runs (staging, profiling, ...); it stops
        before anything is shown or asked."""
        if self.quiet or not self.console.is_terminal:
            return nullcontext()
        self._spinner = self.console.status(f"{step_row(step).words.capitalize()}…")
        return self._spinner

    # -- the port ----------------------------------------------------------------------------
    def understanding(self, job: Job, request: ImportRequest, *, version: int) -> None:
        self._show(render.request_text(request))
        self._decide(job, Stage.UNDERSTANDING, version, "Looks right?")

    def questions(self, job: Job, questions: list[Question], *, version: int) -> None:
        answers = {}
        for question in questions:
            self._show(render.question_text(question))
            answers[question.id] = (
                _prompt(question.text, default=question.default) if self.ask else question.default
            )
        self.decisions.append(
            DecisionRequest(
                job.id, Stage.QUESTIONS, version, Action.ANSWER, self.person, answers=answers
            )
        )

    def schema(self, job: Job, proposal: SchemaProposal, *, version: int) -> None:
        if files := render.files_read_text(job.inspection().snapshots):
            self._show(files)
        if skipped := render.skipped_text(job.inspection().skipped):
            self._show(skipped)
        self._notes(proposal.notes)
        self._show(render.schema_block(proposal))
        self._decide(job, Stage.SCHEMA, version, "Approve this schema?")

    def plan(self, job: Job, plan: ImportPlan, *, version: int) -> None:
        self._notes(plan.notes)
        self._show(render.plan_table(plan))
        self._decide(job, Stage.PLAN, version, "Run the import?")

    def progress(self, job: Job, table: str, done: int, expected: int) -> None:
        if self.quiet:
            return
        self._stop_spinner()
        if self._progress is None:
            self._progress = load_progress(self.console)
            self._progress.start()
        if table not in self._tasks:
            end_where_loaded(self._progress)  # the tables before it have finished
            self._tasks[table] = self._progress.add_task(table, total=expected)
        self._progress.update(self._tasks[table], completed=done)

    def review(self, job: Job, review: Review, *, version: int) -> None:
        self._stop_progress()
        self._show(render.review_group(review))

    def notice(self, job: Job, text: str) -> None:
        self._show(render.notice_text(text))

    def finished(self, job: Job) -> None:
        self._stop_spinner()
        self._stop_progress(loaded=job.status != JobStatus.CANCELLED)  # Ctrl-C: bars stay short

    def reminder(self, job: Job, reminder: Reminder) -> None:
        """A terminal job waits on the person at the terminal: said, naming nobody."""
        self._show(render.notice_text(reminder_text(reminder, who="")))

    # -- helpers -----------------------------------------------------------------------------
    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _stop_progress(self, *, loaded: bool = True) -> None:
        """The bars end where the loads ended: a table whose rows were partly rejected or
        filtered reaches its end too."""
        if self._progress is None:
            return
        if loaded:
            end_where_loaded(self._progress)
        self._progress.stop()
        self._progress = None
        self._tasks = {}

    def _show(self, renderable: RenderableType) -> None:
        self._stop_spinner()
        if not self.quiet:
            self.console.print(renderable)

    def _notes(self, notes: list[str]) -> None:
        for note in notes:
            self._show(render.notice_text(note))

    def _decide(self, job: Job, stage: Stage, version: int, question: str) -> None:
        action, feedback = Action.APPROVE, ""
        if self.ask:
            answer = _prompt(
                f"{question} [y = yes, n = cancel, or say what to change]", default="y"
            )
            word = answer.strip().lower()
            if word in NO_WORDS:
                action = Action.CANCEL
            elif word not in YES_WORDS:
                action, feedback = Action.REVISE, answer.strip()
        self.decisions.append(
            DecisionRequest(job.id, stage, version, action, self.person, feedback=feedback)
        )


def _prompt(text: str, *, default: str) -> str:
    """typer's prompt, with Ctrl-C (and end of input) as an interrupt, not click's "Aborted!"."""
    try:
        return str(typer.prompt(text, default=default))
    except typer.Abort:
        typer.echo(err=True)  # what follows starts on a line of its own, not after the prompt
        raise KeyboardInterrupt from None
