"""The deterministic baseline: a schema proposal and an identity plan from the profiles.

It is what the product does with no LLM, and the starting proposal an LLM edits.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from agents.artifacts import (
    ForeignKeyCandidate,
    ImportPlan,
    ImportRequest,
    Inspection,
    PlanStep,
    SchemaEdit,
    SchemaProposal,
    SourceProfile,
    TableProposal,
)
from agents.baseline.ddl import ColumnSpec, ForeignKeySpec, add_column, bq, create_table
from agents.baseline.reference_graph import declarable_foreign_keys
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


def propose_schema(
    request: ImportRequest, inspection: Inspection, edits: Sequence[SchemaEdit] = ()
) -> SchemaProposal:
    """One table per top-level source (or all into the named table), keys and FKs, with
    `edits` applied (`ProposalInvalid` names an edit that cannot be applied)."""
    groups = _target_groups(request, inspection.profiles)
    overrides = _apply_edits(groups, edits, inspection)
    existing = {name.lower(): name for name in inspection.target_schema}
    new_tables = {t for t in groups if t.lower() not in existing}

    def new_table_of(relation: str) -> str | None:
        table = _target_of(relation, groups)
        return table if table in new_tables else None

    foreign_keys, notes = declarable_foreign_keys(
        [
            fk
            for fk in inspection.foreign_keys
            if not set(fk.columns)
            & overrides.dropped_columns.get(_target_of(fk.relation, groups) or "", set())
        ],
        table_of=new_table_of,
    )
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
            tables.append(_existing_table(existing[table.lower()], profiles, inspection))
            continue
        if not request.create_tables:
            return SchemaProposal(
                status="cannot",
                reason=f"Table {table!r} does not exist in {inspection.database!r} and the "
                "request says not to create tables.",
            )
        tables.append(_new_table(table, profiles, request, foreign_keys, groups, overrides))
    return SchemaProposal(
        tables=_parents_first(tables, foreign_keys, groups), notes=notes, edits=list(edits)
    )


def _apply_edits(
    groups: dict[str, list[SourceProfile]],
    edits: Sequence[SchemaEdit],
    inspection: Inspection,
) -> _Overrides:
    overrides = _Overrides()
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
) -> dict[str, list[SourceProfile]]:
    top_level = [p for p in profiles if p.parent is None]
    groups: dict[str, list[SourceProfile]] = {}
    if request.table:
        groups[request.table] = top_level
    else:
        for profile in top_level:
            groups[profile.relation] = [profile]
    for profile in profiles:
        if profile.parent is not None:
            groups[profile.relation] = [profile]
    return groups


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
) -> list[ColumnSpec]:
    columns: dict[str, ColumnSpec] = {}
    for index, profile in enumerate(profiles):
        for column in profile.columns:
            if index and column.name in dropped:  # a folded source's join key
                continue
            if types and column.name in types:
                columns[column.name] = ColumnSpec(name=column.name, type=types[column.name])
                continue
            spec = ColumnSpec(name=column.name, type=_widen(column.inferred_type, column.name, key))
            previous = columns.get(column.name)
            if previous is not None and previous.type != spec.type:
                spec = ColumnSpec(name=column.name, type=_common_type(previous.type, spec.type))
            columns[column.name] = spec
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
        if all(_KEY_NAMES.search(c.name) for c in columns) or profile.parent is not None:
            return list(candidate)
    return []


def _new_table(
    table: str,
    profiles: Sequence[SourceProfile],
    request: ImportRequest,
    declared: Sequence[ForeignKeyCandidate],
    groups: dict[str, list[SourceProfile]],
    overrides: _Overrides,
) -> TableProposal:
    driving = profiles[:1] if table in overrides.dropped_columns else profiles  # folded: joined
    key = overrides.keys.get(table) or _primary_key(request, driving)
    types = {column: kind for (name, column), kind in overrides.types.items() if name == table}
    columns = _column_specs(
        profiles, key, dropped=overrides.dropped_columns.get(table, ()), types=types
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
    ddl = create_table(name=table, columns=columns, primary_key=key, foreign_keys=foreign_keys)
    return TableProposal(name=table, action="create", ddl=[ddl], relations=sorted(relations))


def _existing_table(
    table: str, profiles: Sequence[SourceProfile], inspection: Inspection
) -> TableProposal:
    known = _existing_columns(inspection.target_schema[table])
    additions = [
        add_column(table=table, column=spec)
        for spec in _column_specs(profiles, ())
        if spec.name.lower() not in known
    ]
    return TableProposal(
        name=table,
        action="alter" if additions else "existing",
        ddl=additions,
        relations=sorted(p.relation for p in profiles),
    )


def _existing_columns(create_statement: str) -> set[str]:
    return {
        m.group(1).lower() for m in re.finditer(r"^\s*`((?:[^`]|``)+)`\s", create_statement, re.M)
    }


def _target_of(relation: str, groups: dict[str, list[SourceProfile]]) -> str | None:
    for table, profiles in groups.items():
        if any(p.relation == relation for p in profiles):
            return table
    return None


def _parents_first(
    tables: list[TableProposal],
    foreign_keys: Sequence[ForeignKeyCandidate],
    groups: dict[str, list[SourceProfile]],
) -> list[TableProposal]:
    """Order tables so that every referenced table is created and loaded before its children."""
    by_name = {t.name: t for t in tables}
    depends: dict[str, set[str]] = {t.name: set() for t in tables}
    for fk in foreign_keys:
        child, parent = _target_of(fk.relation, groups), _target_of(fk.references_table, groups)
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
    steps = []
    for table in schema.tables:
        mode = request.mode or (WriteMode.CREATE if table.action == "create" else WriteMode.APPEND)
        driving = _driving_source(table)
        joins = {
            relation: fk
            for relation in table.relations
            if relation != driving
            and (fk := _join_key(relation, driving, profiles, inspection.foreign_keys))
        }
        appended = [r for r in table.relations if r not in joins]
        select = "\nUNION ALL\n".join(
            _select(relation, joins, profiles, request.where) for relation in appended
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
) -> str:
    profile = profiles[relation]
    if not joins:
        select = f"SELECT {', '.join(bq(c.name) for c in profile.columns)} FROM {bq(relation)}"
        return select + (f" WHERE {where}" if where and _mentions_only(where, profile) else "")
    columns = [f"d.{bq(c.name)}" for c in profile.columns]
    clauses = [f"FROM {bq(relation)} AS d"]
    for index, (other, fk) in enumerate(joins.items()):
        alias = f"j{index}"
        taken = {c.name for c in profile.columns}
        columns += [
            f"{alias}.{bq(c.name)}"
            for c in profiles[other].columns
            if c.name not in taken and c.name not in fk.columns
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
