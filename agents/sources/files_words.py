"""The files a job read, in words for people: ``4 files: a.csv, b.csv, c.csv, d.csv``.

A request names a folder or a glob before anything is resolved, so its understanding can only
say "the files in data"; once the sources are snapshotted, the surfaces say how many files were
read and which, with `files_words`. `agents.artifacts` exports it with the snapshots.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from agents.sources.snapshot import SourceSnapshot

SHOWN_FILES = 5
"""Files named one by one; the rest are counted."""


def files_words(snapshots: Sequence[SourceSnapshot], *, shown: int = SHOWN_FILES) -> str | None:
    """``4 files: a.csv, b.csv, c.csv, d.csv``: the files named within the folder they share,
    the first `shown` named and the rest counted; None when no file was read."""
    if not snapshots:
        return None
    names = names_within_shared_folder([snapshot.source for snapshot in snapshots])
    named = ", ".join(names[:shown])
    more = f" … and {len(names) - shown} more" if len(names) > shown else ""
    files = "file" if len(names) == 1 else "files"
    return f"{len(names)} {files}: {named}{more}"


def names_within_shared_folder(sources: Sequence[str]) -> list[str]:
    """``data/a.csv``, ``data/sub/b.csv`` → ``a.csv``, ``sub/b.csv``. Sources that are not all
    paths of one kind (a URL among them, absolute and relative paths) are kept as shown."""
    if any("://" in source for source in sources):
        return list(sources)
    try:
        shared = posixpath.commonpath([posixpath.dirname(source) for source in sources])
    except ValueError:  # absolute and relative paths: no folder is shared
        return list(sources)
    if not shared:
        return list(sources)
    return [posixpath.relpath(source, shared) for source in sources]
