"""What `importbot --help` shows beyond typer's defaults: the request grammar under `import`,
and flags without a type (typer's rich help writes `<bool>` after every switch)."""

from __future__ import annotations

from functools import cache

from rich.markup import escape
from typer._click.core import Context
from typer.core import TyperOption

from agents.stages.grammar import GRAMMAR

IMPORT_HELP = (
    "Run an import up to review: the branch is kept for `importbot merge` or `discard`.\n\n"
    "The request, without a language model:\n\n"
    + escape(GRAMMAR)  # `[database]` is text, not rich markup
)


@cache
def show_flags_as_flags() -> None:
    """A switch (`--yes`, `--json`, `--help`) takes no value: show no type after it."""
    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
