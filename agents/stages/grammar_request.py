"""What a request says, gathered phrase by phrase by the request grammar, and the one sentence
that sums it up (`agents.stages.grammar`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from agents.artifacts import ImportRequest, ReadOptions, SchemaOverrides, ValueFilter
from agents.stages.grammar_text import _not_understood, _Text
from agents.stages.source_words import sources_words
from dolt.models import WriteMode

_DELIMITER_NAMES = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}
_DELIMITER_WORDS = {value: name for name, value in _DELIMITER_NAMES.items()}


# What the request says, gathered clause by clause -----------------------------------------
@dataclass
class _Found:
    sources: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    """Sources named as folders ("all files in data", "everything in data")."""
    database: str | None = None
    table: str | None = None
    filters: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    mode: WriteMode | None = None
    create_tables: bool | None = None
    recursive: bool = False
    nested_lists: Literal["child_tables", "json_column"] | None = None
    read: dict[str, object] = field(default_factory=dict)
    """ReadOptions fields said so far."""
    overrides: dict[str, object] = field(default_factory=dict)
    """SchemaOverrides fields said so far."""
    value_filters: list[ValueFilter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    """Checks in words ("age is never negative"), each once."""

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def settle_option(self, options: dict[str, object], name: str, value: object) -> None:
        """Set a read option or schema override once; a list option collects its values."""
        current = options.get(name)
        if isinstance(value, list):
            merged = list(current) if isinstance(current, list) else []
            options[name] = merged + [item for item in value if item not in merged]
            return
        if current is not None and current != value:
            label = name.replace("_", " ")
            raise _not_understood(
                f"The request says two different things about the {label}: "
                f"{_describe(current)} and {_describe(value)}."
            )
        options[name] = value

    def settle(self, attribute: str, value: object, label: str) -> None:
        """Set `attribute` once; saying two different things is an error."""
        current = getattr(self, attribute)
        if current not in (None, [], value):
            raise _not_understood(
                f"The request says two different things about the {label}: "
                f"{_describe(current)} and {_describe(value)}."
            )
        setattr(self, attribute, value)

    def request(self) -> ImportRequest:
        if self.mode is WriteMode.CREATE and self.create_tables is False:
            raise _not_understood("Mode create makes new tables, but the request says not to.")
        where = None
        if self.filters:
            where = (
                self.filters[0]
                if len(self.filters) == 1
                else " AND ".join(f"({condition})" for condition in self.filters)
            )
        request = ImportRequest(
            sources=self.sources,
            database=self.database,
            table=self.table,
            where=where,
            key=self.key,
            mode=self.mode,
            create_tables=self.create_tables is not False,
            recursive=self.recursive,
            nested_lists=self.nested_lists or "child_tables",
            read=ReadOptions.model_validate(self.read),
            overrides=SchemaOverrides.model_validate(self.overrides),
            value_filters=self.value_filters,
            notes=self.notes,
            checks=self.checks,
        )
        return request.model_copy(update={"summary": _summary(request, folders=self.folders)})


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "create tables" if value else "don't create tables"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _summary(request: ImportRequest, *, folders: list[str]) -> str:
    """One plain sentence of what will be done."""
    sources = sources_words(request.sources, folders=folders)
    if request.recursive:
        sources += ", including subdirectories"
    parts = [f"Import {sources} into database {request.database}"]
    parts.append(f"table {request.table}" if request.table else "one table per file")
    if request.key:
        parts.append(f"with key ({', '.join(request.key)})")
    if request.mode:
        parts.append(f"in {request.mode.value} mode")
    parts.append(
        "creating tables as needed" if request.create_tables else "only into existing tables"
    )
    if request.where:
        parts.append(f"keeping rows where {request.where}")
    parts += [_value_filter_words(f) for f in request.value_filters]
    parts += describe_options(request)
    return (", ".join(parts) + ".")[:600]


def _value_filter_words(value_filter: ValueFilter) -> str:
    if value_filter.kind == "text":
        return f"keeping rows whose one text column holding {value_filter.value!r} equals it"
    return f"keeping rows whose year {value_filter.operator} {value_filter.value}"


def describe_options(request: ImportRequest) -> list[str]:
    """The read options and schema overrides of `request`, in the grammar's own words."""
    read, overrides, words = request.read, request.overrides, []
    if read.delimiter is not None:
        words.append(f"delimiter {_DELIMITER_WORDS.get(read.delimiter, read.delimiter)}")
    if read.decimal_comma:
        words.append("decimal comma")
    if read.null_markers is not None:
        words.append(f"null markers {', '.join(read.null_markers)}")
    words += [f"keep {marker} as text" for marker in read.text_markers]
    if read.header_row is not None:
        words.append(f"header on row {read.header_row}")
    if read.sheets:
        words.append(f"sheet {', '.join(read.sheets)}")
    if read.all_sheets:
        words.append("all sheets")
    if read.exclude:
        words.append(f"except {', '.join(read.exclude)}")
    if read.union_by_name:
        words.append("union by name")
    if read.json_list is not None:
        words.append(f"the {read.json_list} list")
    words += [f"type {t.column} {t.type}" for t in overrides.types]
    if not overrides.foreign_keys:
        words.append("no foreign keys")
    words += [
        f"without the reference from {r.from_table} to {r.to_table}"
        for r in overrides.without_references
    ]
    words += [f"rename {r.kind} {r.old} to {r.new}" for r in overrides.renames]
    words += [f"don't import {table}" for table in overrides.skip_tables]
    words += [
        f"add {', '.join(m.columns)} from {m.from_table} to {m.to_table}"
        for m in overrides.add_columns
    ]
    return words


_Handler = Callable[[_Text, re.Match[str], _Found], int]
