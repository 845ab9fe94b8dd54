"""The deterministic baseline: a schema proposal and an identity plan from the profiles.

It is what the product does with no LLM, and the starting proposal an LLM edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlglot import exp, parse_one

from agents.artifacts import (
    ColumnMove,
    ForeignKeyCandidate,
    ImportPlan,
    ImportRequest,
    Inspection,
    PlanStep,
    Rename,
    SchemaEdit,
    SchemaProposal,
    SourceProfile,
    TableProposal,
)
from agents.baseline.child_tables import (
    ParentLink,
    child_key,
    child_key_note,
    child_table_name,
    parent_link,
    renamed_columns,
    table_columns,
)
from agents.baseline.ddl import ColumnSpec, ForeignKeySpec, add_column, bq, create_table
from agents.baseline.existing_tables import (
    existing_table_changes,
    kept_key_note,
    main_columns,
)
from agents.baseline.reference_graph import (
    declarable_foreign_keys,
    keyed_references,
    references_wanted,
    requested_references,
)
from agents.baseline.table_groups import top_level_tables
from agents.errors import ProposalInvalid
from dolt.models import WriteMode
from dolt.sql.names import validate_identifier

_KEYISH = re.compile(r"(^id$|_id$|^id_)", re.IGNORECASE)
_SMALL_INTEGERS = ("TINYINT", "SMALLINT", "MEDIUMINT")


@dataclass
class _Overrides:
    """What edits change in the baseline: keys, types, and join columns folded away."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    types: dict[tuple[str, str], str] = field(default_factory=dict)
    dropped_columns: dict[str, set[str]] = field(default_factory=dict)
    columns: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """{relation: {staged column: its name in the table, None if left out}}, as asked."""


def propose_schema(
    request: ImportRequest, inspection: Inspection, edits: Sequence[SchemaEdit] = ()
) -> SchemaProposal:
    """One table per top-level source (or all into the named table), keys and FKs, with
    `edits` applied (`ProposalInvalid` names an edit that cannot be applied)."""
    groups, group_notes = _target_groups(request, inspection.profiles)
    overrides = _Overrides()
    asked, asked_notes = apply_request_overrides(request, groups, inspection, overrides)
    edits = [*asked, *(edit for edit in edits if edit not in asked)]
    _apply_edits(groups, edits[len(asked) :], inspection, overrides)
    existing = {name.lower(): name for name in inspection.target_schema}
    new_tables = {t for t in groups if t.lower() not in existing}

    def new_table_of(relation: str) -> str | None:
        table = _target_of(relation, groups)
        return table if table in new_tables else None

    def table_of(relation: str) -> str | None:
        return _target_of(relation, groups)

    by_relation = {p.relation: p for p in inspection.profiles}
    links = {
        p.relation: link
        for p in inspection.profiles
        if (link := parent_link(p, profiles=by_relation, table_of=table_of)) is not None
    }
    keys, key_notes = _table_keys(groups, request, overrides, inspection, links)

    def column_in(table: str, column: str) -> str:
        return _column_in_table(table, column, groups, overrides)

    keys = {
        table: [column_in(_group_named(table, groups), c) for c in key]
        for table, key in keys.items()
    }
    candidates = [
        fk
        for fk in inspection.foreign_keys
        if not set(fk.columns)
        & overrides.dropped_columns.get(_target_of(fk.relation, groups) or "", set())
        and not _copies_parent_key(fk, links)  # a child's link to its parent: declared below
    ]
    candidates = [_in_table_names(fk, column_in, table_of) for fk in candidates]
    candidates, unkeyed = keyed_references(
        candidates, table_of=table_of, key_of=lambda table: keys.get(table.lower(), [])
    )
    candidates, left_out = requested_references(
        candidates, overrides=request.overrides, table_of=table_of
    )
    foreign_keys, notes = declarable_foreign_keys(candidates, table_of=new_table_of)
    notes = [*group_notes, *asked_notes, *unkeyed, *left_out, *notes, *key_notes]
    tables: list[TableProposal] = []
    for table, profiles in groups.items():
        if table.lower() in existing:
            if request.mode == WriteMode.CREATE:
                return SchemaProposal(
                    status="cannot",
                    reason=f"Table {existing[table.lower()]!r} already exists in "
                    f"{inspection.database!r}, and mode create makes a new table: use mode "
                    "append, upsert or replace, or name another table.",
                )
            altered, altered_notes = _existing_table(
                existing[table.lower()],
                profiles,
                inspection,
                overrides,
                renames=_renames(profiles, links, overrides),
            )
            tables.append(altered)
            notes += altered_notes
            continue
        if not request.create_tables:
            return SchemaProposal(
                status="cannot",
                reason=f"Table {table!r} does not exist in {inspection.database!r} and the "
                "request says not to create tables.",
            )
        parents, parent_notes = _parent_references(
            table, profiles, links, keys, request, column_in=column_in
        )
        notes += parent_notes
        tables.append(
            _new_table(
                table,
                profiles,
                keys[table.lower()],
                foreign_keys,
                groups,
                overrides,
                parents=parents,
                renames=_renames(profiles, links, overrides),
            )
        )
    renamed = [note for profiles in groups.values() for p in profiles for note in p.renamed]
    return SchemaProposal(
        tables=_parents_first(tables, foreign_keys, groups, links),
        notes=[*renamed, *notes],
        edits=list(edits),
    )


def _table_keys(
    groups: dict[str, list[SourceProfile]],
    request: ImportRequest,
    overrides: _Overrides,
    inspection: Inspection,
    links: Mapping[str, ParentLink],
) -> tuple[dict[str, list[str]], list[str]]:
    """({table (lower case): its primary key}, notes on child tables' keys): the key on main
    for an existing table, else the proposed one; parents come before their children."""
    keys = {name.lower(): _key_on_main(sql) for name, sql in inspection.target_schema.items()}
    notes: list[str] = []
    for table, profiles in groups.items():
        if table.lower() in keys:
            continue
        if table in overrides.keys:
            keys[table.lower()] = overrides.keys[table]
        elif profiles[0].parent is not None:
            link = links.get(profiles[0].relation)
            parent_key = keys.get(link.parent_table.lower(), []) if link else []
            keys[table.lower()] = child_key(link, parent_key=parent_key)
            notes.append(child_key_note(table, keys[table.lower()], link))
        else:
            driving = profiles[:1] if table in overrides.dropped_columns else profiles
            keys[table.lower()] = _primary_key(request, driving)
    return keys, notes


def _key_on_main(create_statement: str) -> list[str]:
    """The primary key columns of a CREATE TABLE statement (MySQL dialect)."""
    schema = parse_one(create_statement, read="mysql").this
    for item in schema.expressions:
        if isinstance(item, exp.PrimaryKey):
            return [column.name for column in item.expressions]
    return [
        definition.name
        for definition in schema.expressions
        if isinstance(definition, exp.ColumnDef)
        and any(isinstance(c.kind, exp.PrimaryKeyColumnConstraint) for c in definition.constraints)
    ]


def _copies_parent_key(fk: ForeignKeyCandidate, links: Mapping[str, ParentLink]) -> bool:
    link = links.get(fk.relation)
    return link is not None and fk.columns == [link.column]


def _group_named(table: str, groups: Mapping[str, Sequence[SourceProfile]]) -> str:
    """The group's own spelling of a table name (keys are kept in lower case)."""
    return next((name for name in groups if name.lower() == table.lower()), table)


def _column_in_table(
    table: str,
    column: str,
    groups: Mapping[str, Sequence[SourceProfile]],
    overrides: _Overrides,
) -> str:
    """What `table` calls a column of its sources: the new name where the request renames it."""
    for profile in groups.get(_group_named(table, groups), ()):
        for staged, new in overrides.columns.get(profile.relation, {}).items():
            if new is not None and staged.lower() == column.lower():
                return new
    return column


def _in_table_names(
    fk: ForeignKeyCandidate,
    column_in: Callable[[str, str], str],
    table_of: Callable[[str], str | None],
) -> ForeignKeyCandidate:
    """The reference with its columns as the tables call them (a renamed key is referred to by
    its new name, from every table referring to it)."""
    child = table_of(fk.relation) or fk.relation
    parent = fk.references_table if fk.existing_table else table_of(fk.references_table)
    return fk.model_copy(
        update={
            "columns": [column_in(child, c) for c in fk.columns],
            "references_columns": [
                column_in(parent or fk.references_table, c) for c in fk.references_columns
            ],
        }
    )


def _renames(
    profiles: Sequence[SourceProfile], links: Mapping[str, ParentLink], overrides: _Overrides
) -> dict[str, dict[str, str | None]]:
    """{relation: {staged column: table column, None if left out}}: child relations' link
    columns and the columns the request renames."""
    return {
        p.relation: {
            **table_columns(links.get(p.relation)),
            **overrides.columns.get(p.relation, {}),
        }
        for p in profiles
    }


def _parent_references(
    table: str,
    profiles: Sequence[SourceProfile],
    links: Mapping[str, ParentLink],
    keys: Mapping[str, Sequence[str]],
    request: ImportRequest,
    *,
    column_in: Callable[[str, str], str],
) -> tuple[list[ForeignKeySpec], list[str]]:
    """A child table's reference to its parent's key (from the JSON's nesting, not guessed)."""
    link = links.get(profiles[0].relation)
    if link is None:
        return [], []
    parent_key = column_in(link.parent_table, link.parent_key)
    if list(keys.get(link.parent_table.lower(), [])) != [parent_key]:
        return [], []
    reference = f"{table}.{link.name} → {link.parent_table}.{parent_key}"
    if not references_wanted(table, link.parent_table, request.overrides):
        return [], [f"{reference} is not declared, as asked."]
    spec = ForeignKeySpec(columns=(link.name,), table=link.parent_table, references=(parent_key,))
    return [spec], []


def _apply_edits(
    groups: dict[str, list[SourceProfile]],
    edits: Sequence[SchemaEdit],
    inspection: Inspection,
    overrides: _Overrides | None = None,
) -> _Overrides:
    overrides = overrides if overrides is not None else _Overrides()
    for edit in edits:
        if edit.table not in groups:
            raise ProposalInvalid(
                f"Edit {edit.action} names table {edit.table!r}; the tables are "
                f"{', '.join(groups)}."
            )
        if edit.action == "skip":
            del groups[edit.table]
        elif edit.action == "rename":
            new_name = validate_identifier(edit.target or "", kind="table")
            if new_name in groups:
                raise ProposalInvalid(f"Cannot rename {edit.table!r}: {new_name!r} exists.")
            groups[new_name] = groups.pop(edit.table)
            _rename_in(overrides, edit.table, new_name)
        elif edit.action == "fold_into":
            _fold(groups, edit, inspection, overrides)
        elif edit.action == "set_key":
            known = {c.name for p in groups[edit.table] for c in p.columns}
            if not edit.columns or set(edit.columns) - known:
                raise ProposalInvalid(
                    f"set_key on {edit.table!r} needs columns of that table: {sorted(known)}."
                )
            overrides.keys[edit.table] = list(edit.columns)
        elif edit.action == "set_type":
            if not edit.target:
                raise ProposalInvalid(f"set_type on {edit.table!r} needs the type in target.")
            for column in edit.columns:
                overrides.types[(edit.table, column)] = edit.target
    return overrides


def _rename_in(overrides: _Overrides, old: str, new: str) -> None:
    """Keys, types and folded join columns follow a table to its new name."""
    if old in overrides.keys:
        overrides.keys[new] = overrides.keys.pop(old)
    if old in overrides.dropped_columns:
        overrides.dropped_columns[new] = overrides.dropped_columns.pop(old)
    overrides.types = {
        (new if table == old else table, column): kind
        for (table, column), kind in overrides.types.items()
    }


def apply_request_overrides(
    request: ImportRequest,
    groups: dict[str, list[SourceProfile]],
    inspection: Inspection,
    overrides: _Overrides,
) -> tuple[list[SchemaEdit], list[str]]:
    """The request's schema overrides as edits, applied to `groups` in turn — tables left
    out, columns added to another table, types, column renames, then table renames — with a
    note on each (`ProposalInvalid` names what exists when a name matches nothing)."""
    asked = request.overrides
    applied: list[SchemaEdit] = []
    notes: list[str] = []

    def apply(edit: SchemaEdit) -> None:
        _apply_edits(groups, [edit], inspection, overrides)
        applied.append(edit)

    for table in asked.skip_tables:
        name = _table_named(table, groups, asked=f"don't import {table}")
        apply(SchemaEdit(action="skip", table=name))
        notes.append(f"{name} is not imported, as asked.")
    for move in asked.add_columns:
        what = f"add {', '.join(move.columns)} from {move.from_table} to {move.to_table}"
        source = _table_named(move.from_table, groups, asked=what)
        target = _table_named(move.to_table, groups, asked=what)
        held = _columns_of(groups[source])
        missing = [c for c in move.columns if c not in held]
        if missing:
            raise ProposalInvalid(
                f"{what}: {source!r} has no column {', '.join(missing)}; its columns are "
                f"{', '.join(held)}."
            )
        left_out = columns_left_out([move], groups[source])
        apply(SchemaEdit(action="fold_into", table=source, target=target))
        joined = overrides.dropped_columns.get(target, set())
        for relation, columns in left_out.items():
            overrides.columns.setdefault(relation, {}).update(columns)
        others = [c for c in held if c not in move.columns and c not in joined]
        notes.append(
            f"{', '.join(move.columns)} from {source} added to {target} (joined on "
            f"{', '.join(sorted(joined))}), as asked; {source} is not a table of its own"
            + (f", and its other columns {', '.join(others)} are left out." if others else ".")
        )
    for column_type in asked.types:
        what = f"type {column_type.column} {column_type.type}"
        holders = _tables_holding(
            column_type.column, groups, asked=what, dropped=overrides.dropped_columns
        )
        for table, column in holders:
            apply(
                SchemaEdit(
                    action="set_type", table=table, target=column_type.type, columns=[column]
                )
            )
            if not _on_main(table, column, inspection):  # its table's proposal says what changes
                notes.append(f"{table}.{column} is {column_type.type}, as asked.")
    column_renames = [r for r in asked.renames if r.kind == "column"]
    keys_on_main = _keys_on_main(inspection)
    renamed_by = column_renames_of(
        column_renames, groups, dropped=overrides.dropped_columns, keys_on_main=keys_on_main
    )
    for relation, renamed in renamed_by.items():
        overrides.columns.setdefault(relation, {}).update(renamed)
    for rename in column_renames:
        new = validate_identifier(rename.new, kind="column")
        holders = _tables_holding(rename.old, groups, asked="", dropped=overrides.dropped_columns)
        for table, column in holders:
            if column.lower() in keys_on_main.get(table.lower(), ()):
                notes.append(kept_key_note(table, column, new))
                continue
            if (table, column) in overrides.types:
                overrides.types[(table, new)] = overrides.types.pop((table, column))
            notes.append(f"{table}.{column} is called {new}, as asked.")
    for rename in asked.renames:
        if rename.kind == "table":
            what = f"rename table {rename.old} to {rename.new}"
            name = _table_named(rename.old, groups, asked=what)
            apply(SchemaEdit(action="rename", table=name, target=rename.new))
            notes.append(f"{name} is called {rename.new}, as asked.")
    return applied, notes


def columns_left_out(
    moves: Sequence[ColumnMove], profiles: Sequence[SourceProfile]
) -> dict[str, dict[str, str | None]]:
    """{relation: {column: None}}: `add C from A to B` brings only C of A's relation into B
    (A's join key matches the rows and is not copied); A's other columns are left out."""
    return {
        profile.relation: {c.name: None for c in profile.columns if c.name not in move.columns}
        for move in moves
        for profile in profiles
        if profile.relation.lower() == move.from_table.lower()
    }


def _keys_on_main(inspection: Inspection) -> dict[str, set[str]]:
    """{table: its primary key columns} of the tables on main, in lower case."""
    return {
        table.lower(): {column.lower() for column in _key_on_main(sql)}
        for table, sql in inspection.target_schema.items()
    }


def _on_main(table: str, column: str, inspection: Inspection) -> bool:
    """Whether `table` exists on main with a column `column`."""
    on_main = {name.lower(): sql for name, sql in inspection.target_schema.items()}
    sql = on_main.get(table.lower())
    return sql is not None and column.lower() in main_columns(sql)


def column_renames_of(
    renames: Sequence[Rename],
    groups: Mapping[str, Sequence[SourceProfile]],
    *,
    dropped: Mapping[str, Collection[str]] | None = None,
    keys_on_main: Mapping[str, Collection[str]] | None = None,
) -> dict[str, dict[str, str]]:
    """{relation: {staged column: new name}} for `rename column [table.]old to new`; a table
    is named by its table name or its source relation. The key of a table on main
    (`keys_on_main`: {table: key columns}, in lower case) keeps its name."""
    result: dict[str, dict[str, str]] = {}
    for rename in renames:
        what = f"rename column {rename.old} to {rename.new}"
        for table, column in _tables_holding(rename.old, groups, asked=what, dropped=dropped):
            if column.lower() in (keys_on_main or {}).get(table.lower(), ()):
                continue
            for index, profile in enumerate(groups[table]):
                skipped = index and column in (dropped or {}).get(table, ())
                if not skipped and column in {c.name for c in profile.columns}:
                    result.setdefault(profile.relation, {})[column] = rename.new
    return result


def _columns_of(profiles: Sequence[SourceProfile], dropped: Collection[str] = ()) -> list[str]:
    """The table's columns: its driving source's, then the others' but their join keys."""
    return list(
        dict.fromkeys(
            c.name
            for index, p in enumerate(profiles)
            for c in p.columns
            if not (index and c.name in dropped)
        )
    )


def _table_named(name: str, groups: Mapping[str, Sequence[SourceProfile]], *, asked: str) -> str:
    """The proposed table called `name` (or fed by the relation `name`)."""
    for table, profiles in groups.items():
        if table == name or any(p.relation == name for p in profiles):
            return table
    for table in groups:
        if table.lower() == name.lower():
            return table
    raise ProposalInvalid(
        f"{asked}: there is no table {name!r}; the proposed tables are {', '.join(groups)}."
    )


def _tables_holding(
    column: str,
    groups: Mapping[str, Sequence[SourceProfile]],
    *,
    asked: str,
    dropped: Mapping[str, Collection[str]] | None = None,
) -> list[tuple[str, str]]:
    """[(table, column)] for `table.column`, or every proposed table holding a bare column."""
    table, _, name = column.rpartition(".")

    def held_by(table: str) -> list[str]:
        return _columns_of(groups[table], (dropped or {}).get(table, ()))

    if table:
        found = _table_named(table, groups, asked=asked)
        held = held_by(found)
        if name not in held:
            raise ProposalInvalid(
                f"{asked}: table {found!r} has no column {name!r}; its columns are "
                f"{', '.join(held)}."
            )
        return [(found, name)]
    holders = [(t, name) for t in groups if name in held_by(t)]
    if not holders:
        raise ProposalInvalid(
            f"{asked}: no proposed table has a column {name!r}; the tables are "
            + "; ".join(f"{t} ({', '.join(held_by(t))})" for t in groups)
            + "."
        )
    return holders


def _fold(
    groups: dict[str, list[SourceProfile]],
    edit: SchemaEdit,
    inspection: Inspection,
    overrides: _Overrides,
) -> None:
    """Move the columns of `edit.table` into `edit.target`, joined on a confirmed key.

    "Add columns c to table t" (table == target, or no target, with columns) is read as
    folding the one other table that has those columns and a confirmed key to t.
    """
    if edit.columns and edit.target in (None, edit.table):
        edit = edit.model_copy(
            update={
                "table": _owner_of(edit.columns, edit.table, groups, inspection),
                "target": edit.table,
            }
        )
    target = edit.target or ""
    if target not in groups or target == edit.table:
        raise ProposalInvalid(
            f"fold_into {edit.table!r} -> {target!r}: `table` must be the table that goes away "
            "and `target` another table of the proposal that receives its columns."
        )
    driving = groups[target][0].relation
    folded = groups[edit.table]
    links = [
        fk
        for fk in inspection.foreign_keys
        if fk.relation in {p.relation for p in folded} and fk.references_table == driving
    ]
    if not links:
        raise ProposalInvalid(
            f"No confirmed key links {edit.table!r} to {target!r}, so its rows cannot be "
            "joined to that table's rows."
        )
    groups[target] = [*groups[target], *folded]
    del groups[edit.table]
    overrides.dropped_columns.setdefault(target, set()).update(
        column for fk in links for column in fk.columns
    )


def _target_groups(
    request: ImportRequest, profiles: Sequence[SourceProfile]
) -> tuple[dict[str, list[SourceProfile]], list[str]]:
    """({table: its sources}, notes on files of other shapes): see `table_groups`."""
    top_level = [p for p in profiles if p.parent is None]
    groups, notes = top_level_tables(request, top_level)
    for profile in profiles:
        if profile.parent is not None:
            table = child_table_name(profile, table_of=lambda r: _target_of(r, groups))
            groups.setdefault(table, []).append(profile)
    return groups, notes


def _owner_of(
    columns: Sequence[str],
    target: str,
    groups: dict[str, list[SourceProfile]],
    inspection: Inspection,
) -> str:
    """The one table (not `target`) holding `columns` with a confirmed key to `target`."""
    driving = groups[target][0].relation
    owners = [
        name
        for name, profiles in groups.items()
        if name != target
        and set(columns) <= {c.name for p in profiles for c in p.columns}
        and any(
            fk.relation == profiles[0].relation and fk.references_table == driving
            for fk in inspection.foreign_keys
        )
    ]
    if len(owners) != 1:
        raise ProposalInvalid(
            f"Adding {', '.join(columns)} to {target!r} needs exactly one other table with those "
            f"columns and a key to {target!r}; found {owners or 'none'}."
        )
    return owners[0]


def _column_specs(
    profiles: Sequence[SourceProfile],
    key: Sequence[str],
    *,
    dropped: Collection[str] = (),
    types: Mapping[str, str] | None = None,
    renames: Mapping[str, Mapping[str, str | None]] | None = None,
) -> list[ColumnSpec]:
    columns: dict[str, ColumnSpec] = {}
    unknown: set[str] = set()  # typed only by sources where it is NULL in every row so far
    for index, profile in enumerate(profiles):
        renamed = (renames or {}).get(profile.relation, {})
        for column in profile.columns:
            if index and column.name in dropped:  # a folded source's join key
                continue
            name = renamed.get(column.name, column.name)
            if name is None:  # a child's record number in one file, named by its parent key
                continue
            if types and name in types:
                columns[name] = ColumnSpec(name=name, type=types[name])
                continue
            spec = ColumnSpec(name=name, type=_widen(column.inferred_type, name, key))
            previous = columns.get(name)
            empty = column.null_count == profile.row_count  # says nothing of the type
            if previous is not None and empty:
                continue
            if previous is not None and previous.type != spec.type and name not in unknown:
                spec = ColumnSpec(name=name, type=_common_type(previous.type, spec.type))
            unknown = unknown | {name} if empty else unknown - {name}
            columns[name] = spec
    return list(columns.values())


def _widen(mysql_type: str, name: str, key: Sequence[str]) -> str:
    """Keys and references get at least INT: the next import will bring larger ids."""
    if (name in key or _KEYISH.search(name)) and mysql_type.upper() in _SMALL_INTEGERS:
        return "INT"
    return mysql_type


def _common_type(first: str, second: str) -> str:
    integers = ("TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT")
    if first in integers and second in integers:
        return max(first, second, key=integers.index)
    return "TEXT"


_KEY_NAMES = re.compile(
    r"(^(id|key|code|uuid|guid|sku|email)$|_(id|key|code|uuid|no|number)$)", re.I
)
_NOT_KEY_TYPES = ("DATE", "DATETIME", "TIMESTAMP", "TIME", "DOUBLE", "FLOAT", "DECIMAL", "BOOLEAN")


def _primary_key(request: ImportRequest, profiles: Sequence[SourceProfile]) -> list[str]:
    """The requested key, else the first candidate that looks like an identifier.

    A column that merely happens to be unique in this file (a date, a measurement, a name)
    would refuse the next import's rows, so it is not proposed as a key.
    """
    if request.key:
        return list(request.key)
    if len(profiles) != 1:
        return []
    profile = profiles[0]
    for candidate in profile.candidate_keys:
        columns = [profile.column(name) for name in candidate]
        if any(c.inferred_type.upper().startswith(_NOT_KEY_TYPES) for c in columns):
            continue
        if all(_KEY_NAMES.search(c.name) for c in columns):
            return list(candidate)
    return []


def _new_table(
    table: str,
    profiles: Sequence[SourceProfile],
    key: Sequence[str],
    declared: Sequence[ForeignKeyCandidate],
    groups: dict[str, list[SourceProfile]],
    overrides: _Overrides,
    *,
    parents: Sequence[ForeignKeySpec] = (),
    renames: Mapping[str, Mapping[str, str | None]] | None = None,
) -> TableProposal:
    types = {column: kind for (name, column), kind in overrides.types.items() if name == table}
    columns = _column_specs(
        profiles,
        key,
        dropped=overrides.dropped_columns.get(table, ()),
        types=types,
        renames=renames,
    )
    missing = [k for k in key if k not in {c.name for c in columns}]
    if missing:
        raise ProposalInvalid(
            f"The key column(s) {', '.join(missing)} are not in the data for table {table!r}; "
            f"its columns are {', '.join(c.name for c in columns)}."
        )
    relations = {p.relation for p in profiles}
    foreign_keys = [
        ForeignKeySpec(
            columns=tuple(fk.columns),
            table=_target_of(fk.references_table, groups) or fk.references_table,
            references=tuple(fk.references_columns),
        )
        for fk in declared
        if fk.relation in relations
        and (fk.existing_table or _target_of(fk.references_table, groups) is not None)
    ]
    foreign_keys = [*parents, *foreign_keys]
    ddl = create_table(name=table, columns=columns, primary_key=key, foreign_keys=foreign_keys)
    return TableProposal(name=table, action="create", ddl=[ddl], relations=sorted(relations))


def _existing_table(
    table: str,
    profiles: Sequence[SourceProfile],
    inspection: Inspection,
    overrides: _Overrides,
    *,
    renames: Mapping[str, Mapping[str, str | None]] | None = None,
) -> tuple[TableProposal, list[str]]:
    """A table on main: its columns renamed and retyped as asked, the sources' new columns
    added (and notes on what could not be changed)."""
    asked = {
        staged: new
        for p in profiles
        for staged, new in overrides.columns.get(p.relation, {}).items()
        if new is not None
    }
    types = {column: kind for (name, column), kind in overrides.types.items() if name == table}
    changes = existing_table_changes(
        table, inspection.target_schema[table], renames=asked, types=types
    )
    additions = [
        add_column(table=table, column=spec)
        for spec in _column_specs(profiles, (), renames=renames, types=types)
        if spec.name.lower() not in changes.columns
    ]
    statements = [*changes.statements, *additions]
    proposal = TableProposal(
        name=table,
        action="alter" if statements else "existing",
        ddl=statements,
        relations=sorted(p.relation for p in profiles),
    )
    return proposal, changes.notes


def _target_of(relation: str, groups: dict[str, list[SourceProfile]]) -> str | None:
    for table, profiles in groups.items():
        if any(p.relation == relation for p in profiles):
            return table
    return None


def _parents_first(
    tables: list[TableProposal],
    foreign_keys: Sequence[ForeignKeyCandidate],
    groups: dict[str, list[SourceProfile]],
    links: Mapping[str, ParentLink],
) -> list[TableProposal]:
    """Order tables so that every referenced table is created and loaded before its children
    (child tables of nested lists after their parents')."""
    by_name = {t.name: t for t in tables}
    depends: dict[str, set[str]] = {t.name: set() for t in tables}
    pairs = [
        (_target_of(fk.relation, groups), _target_of(fk.references_table, groups))
        for fk in foreign_keys
    ]
    pairs += [(_target_of(relation, groups), link.parent_table) for relation, link in links.items()]
    for child, parent in pairs:
        if child in depends and parent in by_name and parent != child:
            depends[child].add(parent)
    ordered: list[TableProposal] = []
    while depends:
        ready = sorted(
            name for name, parents in depends.items() if not parents - {t.name for t in ordered}
        )
        if not ready:  # cannot happen: declarable_foreign_keys leaves no cycle
            ready = sorted(depends)
        for name in ready:
            ordered.append(by_name[name])
            del depends[name]
    return ordered


def plan_import(
    request: ImportRequest, inspection: Inspection, schema: SchemaProposal
) -> ImportPlan:
    """One SELECT per target table; the filter goes to the tables that have its columns.

    A table fed by several sources takes the first (its driving source) and, from each other
    source, either its extra columns joined on a confirmed foreign key to the driving source,
    or — for sources of the same shape — its rows appended with UNION ALL.
    """
    profiles = {p.relation: p for p in inspection.profiles}
    table_of = {relation: t.name for t in schema.tables for relation in t.relations}
    asked = column_renames_of(
        [r for r in request.overrides.renames if r.kind == "column"],
        {t.name: [profiles[r] for r in t.relations] for t in schema.tables},
        keys_on_main=_keys_on_main(inspection),
    )
    left_out = columns_left_out(request.overrides.add_columns, inspection.profiles)
    renames = {
        relation: {
            **renamed_columns(profile, profiles=profiles, table_of=table_of.get),
            **left_out.get(relation, {}),
            **asked.get(relation, {}),
        }
        for relation, profile in profiles.items()
    }
    steps = []
    for table in schema.tables:
        mode = (
            request.table_modes.get(table.name)
            or request.mode
            or (WriteMode.CREATE if table.action == "create" else WriteMode.APPEND)
        )
        driving = _driving_source(table)
        joins = {
            relation: fk
            for relation in table.relations
            if relation != driving
            and (fk := _join_key(relation, driving, profiles, inspection.foreign_keys))
        }
        appended = [r for r in table.relations if r not in joins]
        select = "\nUNION ALL\n".join(
            _select(relation, joins, profiles, request.where, renames) for relation in appended
        )
        source_rows = sum(profiles[r].row_count for r in appended)
        steps.append(
            PlanStep(
                table=table.name,
                select=select,
                mode=mode,
                relation=appended[0] if len(appended) == 1 else None,
                source_rows=source_rows,
                expected_rows=source_rows,
            )
        )
    checks = [request.where] if request.where else []
    return ImportPlan(steps=steps, checks=checks)


def _driving_source(table: TableProposal) -> str:
    return table.name if table.name in table.relations else table.relations[0]


def _join_key(
    relation: str,
    driving: str,
    profiles: dict[str, SourceProfile],
    foreign_keys: Sequence[ForeignKeyCandidate],
) -> ForeignKeyCandidate | None:
    """A confirmed key from `relation` to `driving` when `relation` brings other columns."""
    if {c.name for c in profiles[relation].columns} == {c.name for c in profiles[driving].columns}:
        return None
    for fk in foreign_keys:
        if fk.relation == relation and fk.references_table == driving and not fk.existing_table:
            key = (
                set(profiles[relation].candidate_keys[0])
                if profiles[relation].candidate_keys
                else set()
            )
            if key == set(fk.columns):  # one row per driving row: a join that adds columns
                return fk
    return None


def _select(
    relation: str,
    joins: dict[str, ForeignKeyCandidate],
    profiles: dict[str, SourceProfile],
    where: str | None,
    renames: Mapping[str, Mapping[str, str | None]],
) -> str:
    profile = profiles[relation]
    renamed = renames.get(relation, {})
    kept = [c.name for c in profile.columns if renamed.get(c.name, c.name) is not None]

    def named(column: str, qualifier: str = "") -> str:
        new = renamed.get(column) or column
        return f"{qualifier}{bq(column)}" + (f" AS {bq(new)}" if new != column else "")

    if not joins:
        select = f"SELECT {', '.join(named(c) for c in kept)} FROM {bq(relation)}"
        return select + (f" WHERE {where}" if where and _mentions_only(where, profile) else "")
    columns = [named(c, "d.") for c in kept]
    clauses = [f"FROM {bq(relation)} AS d"]
    for index, (other, fk) in enumerate(joins.items()):
        alias = f"j{index}"
        taken = {c.name for c in profile.columns}
        other_names = renames.get(other, {})
        added = [
            (c.name, other_names.get(c.name, c.name))
            for c in profiles[other].columns
            if c.name not in taken and c.name not in fk.columns
        ]
        columns += [
            f"{alias}.{bq(name)}" + (f" AS {bq(new)}" if new != name else "")
            for name, new in added
            if new is not None  # left out of the table
        ]
        on = " AND ".join(
            f"{alias}.{bq(a)} = d.{bq(b)}"
            for a, b in zip(fk.columns, fk.references_columns, strict=True)
        )
        clauses.append(f"LEFT JOIN {bq(other)} AS {alias} ON {on}")
    select = f"SELECT {', '.join(columns)} " + " ".join(clauses)
    if where and _mentions_only(where, profile):
        select += f" WHERE {where}"
    return select


def _mentions_only(predicate: str, profile: SourceProfile) -> bool:
    """Whether every column the predicate names is a column of this source."""
    from sqlglot import exp, parse_one

    condition = parse_one(f"SELECT 1 WHERE {predicate}", read="mysql")
    names = {column.name.lower() for column in condition.find_all(exp.Column)}
    return bool(names) and names <= {c.name.lower() for c in profile.columns}
