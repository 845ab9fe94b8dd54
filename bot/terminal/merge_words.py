"""A refused merge in words a person can act on: which rows or tables stand in the way, and
what to do — never Dolt's conflict tables or a database error."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from dolt.models import ConflictPreview

SHOWN_ROWS = 5
KEY_COLUMNS_SHOWN = 2


def refused_in_one_line(preview: ConflictPreview) -> str:
    """The refusal as one sentence (the `--json` error)."""
    what = "; ".join(_obstacles(preview)) or "main changed in a way this branch cannot join"
    return f"merge refused, nothing changed on main: {what}"


def refused_merge_text(preview: ConflictPreview, *, job: str | None) -> Group:
    lines = [
        Text(
            f"merge refused: merging {preview.branch} into {preview.into} would "
            f"{'fail its Dolt tests' if preview.failing_tests else 'conflict'}; "
            "nothing changed on main.",
            style="red",
        )
    ]
    lines += [Text(f"  {line}") for line in _obstacles(preview)]
    for conflict in preview.data_conflicts:
        for example in conflict.examples[:SHOWN_ROWS]:
            lines.append(Text(f"    {conflict.table}: the row where {_key_words(example)}"))
    return Group(*lines, what_you_can_do(preview, job=job))


def what_you_can_do(preview: ConflictPreview, *, job: str | None) -> Group:
    """What a person can do about a merge that would conflict (also said when main moved into
    a conflict since the review)."""
    target = job or preview.branch
    lines = [Text("What you can do:")]
    if preview.repeated_rows:
        lines.append(Text(f"  - importbot discard {target}: main holds those rows already"))
    if preview.failing_tests:
        lines.append(
            Text(
                f"  - importbot discard {target}, then import again with rows that pass the "
                "test (a filter, or the file fixed), or fix the rows on main"
            )
        )
    if (
        not (preview.repeated_rows or preview.failing_tests)
        or preview.data_conflicts
        or preview.constraint_violations
    ):
        lines.append(
            Text(
                f"  - importbot discard {target}, then import again with `mode upsert` "
                "(the file's values replace the rows on main)"
            )
        )
    if preview.data_conflicts:
        lines.append(Text("  - or fix those rows on main or in the file, then import again"))
    return Group(*lines)


def _obstacles(preview: ConflictPreview) -> list[str]:
    said = [
        f"{c.table}: {c.count} row(s) were changed on main since this import started"
        for c in preview.data_conflicts
    ]
    said += [
        f"{s.table}: its columns differ between main and this branch"
        for s in preview.schema_conflicts
    ]
    said += [
        f"{v.table}: {v.count} row(s) would break a key or reference on main"
        for v in preview.constraint_violations
    ]
    said += [
        f"{r.table}: main already holds {r.count:,} identical row(s) this branch would add "
        "a second time (the same rows imported on another branch, merged first)"
        for r in preview.repeated_rows
    ]
    said += list(preview.failing_tests)  # already in words, naming each test
    if preview.error and not said:
        said.append(_error_words(preview.error))
    return said


def _error_words(error: str) -> str:
    """The one merge failure doltlite reports outright, said without its internals."""
    if "added on both" in error or "different definitions" in error:
        return "a table this import creates was also created on main, with other columns"
    return "main changed in a way this branch cannot join"


def _key_words(example: dict[str, Any]) -> str:
    """Columns equal on both sides (the key is among them): `id = 7`."""
    ours, theirs = example.get("ours") or {}, example.get("theirs") or {}
    same = [c for c in ours if c in theirs and ours[c] == theirs[c]]
    shown = same[:KEY_COLUMNS_SHOWN] or list(ours or theirs)[:KEY_COLUMNS_SHOWN]
    row = ours or theirs
    return ", ".join(f"{c} = {row.get(c)!r}" for c in shown) or "(no values)"
