"""What `importbot --help` shows beyond typer's defaults: the request grammar under `import`,
and switches without a type (typer's rich help writes `<bool>` after every switch).

The switches are shown bare by the command and group classes every `importbot` command is
built with (`typer.Typer(cls=Group)`, `app.command(cls=Command)`): they give each switch the
empty metavar, which is what rich help shows in place of a type."""

from __future__ import annotations

from typing import Any, TypeVar

from rich.markup import escape
from typer.core import TyperCommand, TyperGroup, TyperOption

from agents.stages.grammar import GRAMMAR

IMPORT_HELP = (
    "Run an import up to review: the branch is kept for `importbot merge` or `discard`.\n\n"
    "The request, without a language model:\n\n"
    + escape(GRAMMAR)  # `[database]` is text, not rich markup
)

Params = TypeVar("Params", bound=list[Any])

NO_TYPE = ""
"""The metavar of a switch: rich help shows a metavar instead of the type."""


def switches_without_type(params: Params) -> Params:
    """A switch (`--yes`, `--json`, `--help`) takes no value: show no type after it.
    Options given a metavar of their own keep it."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = NO_TYPE
    return params


# `ctx: Any`: the context type is that of typer's vendored click (`typer._click`), a private
# module; typer's public `typer.Context` is a subclass, which an override may not narrow to.
class Command(TyperCommand):
    """An `importbot` command: its switches (and `--help`) are shown without a type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return switches_without_type(super().get_params(ctx))


class Group(TyperGroup):
    """`importbot` and its sub-apps: their switches (and `--help`) are shown without a type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return switches_without_type(super().get_params(ctx))
