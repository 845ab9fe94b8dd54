"""`importbot --help` of every command, rendered by the app itself (no `main()`, nothing
patched beforehand): switches are shown without a type, options with a value keep theirs."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot.entrypoints.cli import app


def _command_paths(command: typer.core.TyperGroup, path: tuple[str, ...] = ()) -> list[tuple]:
    paths = [path]
    for name, sub in command.commands.items():
        if isinstance(sub, typer.core.TyperGroup):
            paths += _command_paths(sub, (*path, name))
        else:
            paths.append((*path, name))
    return paths


COMMANDS = _command_paths(typer.main.get_group(app))


def _help(path: tuple[str, ...]) -> str:
    shown = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "140"})
    assert shown.exit_code == 0, shown.output
    return shown.output


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "importbot")
def test_every_command_shows_its_switches_without_a_type(path):
    shown = _help(path)
    assert "--help" in shown
    assert "<bool>" not in shown


def test_options_that_take_a_value_still_show_their_type():
    shown = _help(("rows",))
    (where,) = [line for line in shown.splitlines() if "--where" in line]
    assert "<str>" in where
    (limit,) = [line for line in shown.splitlines() if "--limit" in line]
    assert "<int range>" in limit
