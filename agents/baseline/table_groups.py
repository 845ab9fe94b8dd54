"""Which top-level sources go into which table, when several go into one.

Without a table named and without `union by name`, every file is a table of its own. When the
request names a table, the files with the first file's columns (in any order: staging aligned
them) go into it, and files of another shape each become a table of their own, named after
their first file, with a note naming the odd file and its columns. With `union by name`,
staging gave every file all the columns (missing ones NULL), so all of them are one table — the
one named, or one named after what the files' names share.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.artifacts import ImportRequest, SourceProfile

SHOWN_FILES = 3
"""Files of one odd shape named in its note; the rest are counted."""


def top_level_tables(
    request: ImportRequest, top_level: Sequence[SourceProfile]
) -> tuple[dict[str, list[SourceProfile]], list[str]]:
    """({table: its sources, the driving one first}, notes on how files were grouped)."""
    if not request.table and not request.read.union_by_name:
        return {profile.relation: [profile] for profile in top_level}, []
    shapes: dict[frozenset[str], list[SourceProfile]] = {}
    for profile in top_level:
        shapes.setdefault(_shape(profile), []).append(profile)
    if not shapes:
        return {}, []
    first, *odd = shapes.values()
    name = request.table or _shared_name([p.relation for p in first])
    groups = {name: first}
    notes = []
    if request.read.union_by_name and len(top_level) > 1:
        notes.append(f"{_files(top_level)} combined by column name into {name}, as asked.")
    for profiles in odd:
        table = _unique(profiles[0].relation, groups)
        groups[table] = profiles
        notes.append(_odd_note(profiles, first[0], table))
    return groups, notes


def _shape(profile: SourceProfile) -> frozenset[str]:
    return frozenset(column.name for column in profile.columns)


def _odd_note(profiles: Sequence[SourceProfile], first: SourceProfile, table: str) -> str:
    """``cities_2.csv has other columns (a, b) than cities_1.csv: imported as its own table``."""
    theirs, ours = _shape(profiles[0]), _shape(first)
    extra = [c.name for c in profiles[0].columns if c.name not in ours]
    missing = [c.name for c in first.columns if c.name not in theirs]
    differ = ", ".join(extra) + ("; " if extra and missing else "")
    differ += f"no {', '.join(missing)}" if missing else ""
    verb = "has" if len(profiles) == 1 else "have"
    return (
        f"{_files(profiles)} {verb} other columns ({differ}) than {first.source}: imported as "
        f"its own table {table}; say `union by name` to make them one table."
    )


def _files(profiles: Sequence[SourceProfile], *, shown: int = SHOWN_FILES) -> str:
    sources = list(dict.fromkeys(p.source for p in profiles))
    named = ", ".join(sources[:shown])
    return named + (f" and {len(sources) - shown} more" if len(sources) > shown else "")


def _shared_name(relations: Sequence[str]) -> str:
    """``cities_1``, ``cities_2`` -> ``cities``: the start the names share, without trailing
    digits and underscores; the first name when they share too little."""
    first, last = min(relations), max(relations)
    length = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first)
    )
    shared = first[:length].rstrip("_0123456789")
    return shared if len(shared) >= 2 and len(relations) > 1 else relations[0]


def _unique(name: str, taken: dict[str, list[SourceProfile]]) -> str:
    lowered = {table.lower() for table in taken}
    candidate, number = name, 2
    while candidate.lower() in lowered:
        candidate, number = f"{name}_{number}", number + 1
    return candidate
