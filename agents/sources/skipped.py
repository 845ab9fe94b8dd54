"""Files left out while a folder, a glob or an archive was expanded, and why, for people to see.

`agents.artifacts` exports `SkippedSource` with the other artifacts; the surfaces show
`skipped_words` with the inspection's result.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

SHOWN_SKIPPED = 5
"""Skipped files named one by one; the rest are counted."""

NOT_A_DATA_FILE = "not a data file"
NOT_DELIMITED = "not a consistent delimited file"
NOT_A_REGULAR_FILE = "not a regular file"
NESTED_ARCHIVE = "nested archives are not unpacked"


class SkippedSource(BaseModel):
    """One file a folder, glob or archive held that is not imported."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="The file as shown to people (path, archive.zip:member).")
    reason: str = Field(description="Why it is not imported, in words.")


def skipped_words(skipped: Sequence[SkippedSource], *, shown: int = SHOWN_SKIPPED) -> str | None:
    """``Skipped 2 files: notes.md (not a data file), raw.txt (…)``, the first `shown` named
    and the rest counted; None when nothing was skipped."""
    if not skipped:
        return None
    named = ", ".join(f"{item.source} ({item.reason})" for item in skipped[:shown])
    more = f" … and {len(skipped) - shown} more" if len(skipped) > shown else ""
    files = "file" if len(skipped) == 1 else "files"
    return f"Skipped {len(skipped)} {files}: {named}{more}"
