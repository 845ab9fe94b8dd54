"""Child tables of nested JSON lists, named and keyed after their target tables.

Staging names a list's relation after its file (``orders_2.json`` → ``orders_2__items``) and
copies the parent's id-like key into it as ``<relation>_<key>`` (``orders_2_id``). The tables
are named after the *target*: the list ``items`` of rows going to ``orders`` feeds
``orders__items``, whatever file they came from, and the copied key is the column
``orders_id`` — so a second file appended to ``orders`` appends to ``orders__items``.

A child row has no identity of its own: its key is the parent's key plus its position in the
list (``orders_id, _index``), or, when the parent has no key to name it by, no key at all —
never a column that happens to be unique in one file. It refers to its parent's key, and
leaves out ``_parent_record`` (the parent's record number in one file, which the next file's
rows would repeat) when the copied key names the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agents.artifacts import SourceProfile

INDEX = "_index"
"""The 0-based position of a child row in its parent's list (see agents.staging.json_records)."""
PARENT_RECORD = "_parent_record"
"""The parent's record number in its file (see agents.staging.json_records)."""

TableOf = Callable[[str], str | None]  # staged relation -> the table it feeds


@dataclass(frozen=True)
class ParentLink:
    """How a child relation names its parent row: the copied parent key."""

    column: str  # the staged column (``orders_2_id``)
    name: str  # the column in the child table (``orders_id``)
    parent_table: str  # the table the parent rows go to (``orders``)
    parent_key: str  # the parent's key column (``id``)


def child_table_name(profile: SourceProfile, *, table_of: TableOf) -> str:
    """``orders__items`` for the list ``items`` of a relation feeding ``orders``."""
    assert profile.parent is not None
    parent_table = table_of(profile.parent) or profile.parent
    prefix = f"{profile.parent}__"
    suffix = profile.relation[len(prefix) :] if profile.relation.startswith(prefix) else ""
    return f"{parent_table}__{suffix}" if suffix else profile.relation


def parent_link(
    profile: SourceProfile, *, profiles: Mapping[str, SourceProfile], table_of: TableOf
) -> ParentLink | None:
    """The child relation's copy of its parent's key, named after the parent's table."""
    if profile.parent is None or profile.parent not in profiles:
        return None
    prefix = f"{profile.parent}."
    copy = next((c for c in profile.columns if c.source_name.startswith(prefix)), None)
    if copy is None:
        return None
    key_source = copy.source_name[len(prefix) :]
    parent = profiles[profile.parent]
    key = next((c.name for c in parent.columns if c.source_name == key_source), None)
    parent_table = table_of(profile.parent)
    if key is None or parent_table is None:
        return None
    return ParentLink(
        column=copy.name, name=f"{parent_table}_{key}", parent_table=parent_table, parent_key=key
    )


def renamed_columns(
    profile: SourceProfile, *, profiles: Mapping[str, SourceProfile], table_of: TableOf
) -> dict[str, str | None]:
    """{staged column: table column, or None when the table leaves it out}."""
    return table_columns(parent_link(profile, profiles=profiles, table_of=table_of))


def table_columns(link: ParentLink | None) -> dict[str, str | None]:
    """What a child relation's table calls its link columns (None: left out)."""
    if link is None:
        return {}
    renamed: dict[str, str | None] = {PARENT_RECORD: None}
    if link.column != link.name:
        renamed[link.column] = link.name
    return renamed


def child_key(link: ParentLink | None, *, parent_key: Sequence[str]) -> list[str]:
    """The parent's key and the position, when the parent's table is keyed by the copied
    column; else no key (one file's coincidental uniqueness would refuse the next file)."""
    if link is None or list(parent_key) != [link.parent_key]:
        return []
    return [link.name, INDEX]


def child_key_note(table: str, key: Sequence[str], link: ParentLink | None) -> str:
    """What the person should know about a child table's key."""
    if key:
        return (
            f"{table} is keyed by ({', '.join(key)}): its parent's key and the row's position "
            "in the list."
        )
    parent = f"its parent table {link.parent_table}" if link else "its parent"
    return (
        f"{table} has no primary key: {parent} has no key to name its rows by, and a column "
        "unique in one file would refuse the next file's rows."
    )
