"""`importbot`: the terminal surface."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console

from bot import terminal_render as render
from bot.settings import Settings
from dolt import open_server
from dolt.errors import DoltError

app = typer.Typer(help="Import data into Dolt branches, review, merge.", no_args_is_help=True)
console = Console()

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (doltlite:<dir> or mysql://...).")
]
DatabaseOption = Annotated[str, typer.Option("--database", "-d", help="Database name.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _server(db: str | None):
    return open_server(db or Settings.from_environment().dolt_url)


@app.command()
def demo(db: DbOption = None, database: DatabaseOption = "demo") -> None:
    """Show the Dolt layer: create, branch, write, diff, preview, merge."""
    from bot.dolt_demo import run_demo

    with _server(db) as server:
        console.print(f"Databases at [bold]{server.url}[/bold]")
        target = server.database(name=database, create=True)
        run = run_demo(target)
        console.print(f"Created branch [bold]{run.branch}[/bold] from main and wrote to it only.")
        schemas = [
            t.schema_after for t in run.summary.tables if t.schema_changed and t.schema_after
        ]
        if schemas:
            console.print(render.ddl_block(schemas))
        console.print(render.diff_summary_table(run.summary))
        console.print(render.sample_rows_table("Sample rows", run.samples))
        console.print(render.conflict_preview_text(run.preview))
        console.print(render.merge_result_text(run.merge, branch=run.branch, into="main"))
        console.print(f"main now holds: {run.main_rows}; branch {run.branch} deleted.")
        target.close()


@app.command()
def databases(db: DbOption = None) -> None:
    """List the databases."""
    with _server(db) as server:
        for name in server.list_databases():
            console.print(name)


@app.command()
def branches(database: DatabaseOption, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the branches of a database."""
    with _server(db) as server:
        target = server.database(name=database)
        found = target.list_branches()
        if as_json:
            print(json.dumps([asdict(b) for b in found]))
        else:
            console.print(render.branches_table(found))
        target.close()


@app.command()
def diff(
    branch: str, database: DatabaseOption, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """What a branch changed since it left main (three-dot diff)."""
    with _server(db) as server:
        target = server.database(name=database)
        summary = target.diff_summary(branch=branch)
        if as_json:
            print(json.dumps(asdict(summary), default=str))
        else:
            console.print(render.diff_summary_table(summary))
            console.print(render.conflict_preview_text(target.preview_merge(branch=branch)))
        target.close()


def main() -> None:
    try:
        app()
    except DoltError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise SystemExit(1) from None
