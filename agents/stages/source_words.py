"""What a request's sources name, in words, without resolving them: `data/*.csv` is "all CSV
files in data", the folder of "all files in data" is "the files in data" — a summary must not
say "1 source" of a glob or a folder that holds four files (how many it holds is said once the
sources are read: `agents.sources.files_words`)."""

from __future__ import annotations

import re
from collections.abc import Collection

_EXTENSION_GLOB = re.compile(r"^(?:(?P<folder>.*)/)?\*\.(?P<extension>[A-Za-z0-9]+)$")
_GLOB_CHARACTERS = frozenset("*?[")


def names_many(source: str) -> bool:
    """A glob (it may match any number of files)."""
    return not _is_url(source) and any(c in _GLOB_CHARACTERS for c in source)


def source_words(source: str, *, folder: bool = False) -> str:
    """`data/*.csv` → "all CSV files in data"; another glob → "the files matching …"; a
    `folder` (named as one: "all files in data") → "the files in data"; a path or URL stays
    as written."""
    if folder:
        return f"the files in {source.rstrip('/') or '/'}"
    if not names_many(source):
        return source
    match = _EXTENSION_GLOB.match(source)
    if match is None:
        return f"the files matching {source}"
    parent = match["folder"]
    where = "in the current folder" if parent is None else f"in {parent or '/'}"
    return f"all {match['extension'].upper()} files {where}"


def sources_words(sources: list[str], *, folders: Collection[str] = ()) -> str:
    """The sources of a summary: "a.csv", "2 sources (a.csv, b.csv)", or, when a glob or one
    of the `folders` is among them, what each names ("all CSV files in data, the files in
    exports, b.json")."""
    if any(names_many(source) or source in folders for source in sources):
        return ", ".join(source_words(source, folder=source in folders) for source in sources)
    if len(sources) == 1:  # a path may be a folder of many files: no count is said of it
        return sources[0]
    return f"{len(sources)} sources ({', '.join(sources)})"


def _is_url(source: str) -> bool:
    return "://" in source
