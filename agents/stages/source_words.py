"""What a request's sources name, in words, without resolving them: `data/*.csv` is "all CSV
files in data" — a summary must not say "1 source" of a glob that matches four files."""

from __future__ import annotations

import re

_EXTENSION_GLOB = re.compile(r"^(?:(?P<folder>.*)/)?\*\.(?P<extension>[A-Za-z0-9]+)$")
_GLOB_CHARACTERS = frozenset("*?[")


def names_many(source: str) -> bool:
    """A glob (it may match any number of files)."""
    return not _is_url(source) and any(c in _GLOB_CHARACTERS for c in source)


def source_words(source: str) -> str:
    """`data/*.csv` → "all CSV files in data"; another glob → "the files matching …"; a path
    or URL stays as written."""
    if not names_many(source):
        return source
    match = _EXTENSION_GLOB.match(source)
    if match is None:
        return f"the files matching {source}"
    folder = match["folder"]
    where = "in the current folder" if folder is None else f"in {folder or '/'}"
    return f"all {match['extension'].upper()} files {where}"


def sources_words(sources: list[str]) -> str:
    """The sources of a summary: "1 source (a.csv)", or, when a glob is among them, what each
    names ("all CSV files in data, b.json")."""
    if any(names_many(source) for source in sources):
        return ", ".join(source_words(source) for source in sources)
    plural = "s" if len(sources) > 1 else ""
    return f"{len(sources)} source{plural} ({', '.join(sources)})"


def _is_url(source: str) -> bool:
    return "://" in source
