"""Staging of JSON and JSONL: records become rows, nested objects columns, nested lists children.

The records are an array (``[{...}, ...]``), one record per line (JSONL/NDJSON), or an object
holding lists of records (``{"meta": ..., "data": [{...}]}``): one list is the file's relation;
several (``{"nodes": [...], "links": [...]}``) are one relation each, ``<file>__<list>``, unless
the person named one (``ReadOptions.json_list``), which is then the file's relation. Each
record is read once as JSON text into the staging file, its structure is merged over the whole
file (``json_group_structure``), and the records are converted to that structure
(``json_transform``), so types are confirmed by every record.

* A nested object flattens into ``parent__child`` columns, recursively (source name ``a.b``).
* A list becomes, with ``nested_lists="child_tables"`` (dlt style), a child relation
  ``<parent>__<field>`` with ``_parent_record`` (the parent's ``__record``), the parent's
  ``id``-like key copied as ``<parent>_<key>`` when it is a unique non-null scalar, ``_index``
  (0-based position in the list), and the element's fields (``value`` for lists of scalars);
  lists inside elements become grandchildren the same way, lists of lists a JSON column.
  With ``"json_column"`` the list stays one column of JSON text.
* A field whose values mix types (``1`` and ``"a"``) is text; objects with no fields, with keys
  that differ only in case, or with more than :data:`MAX_OBJECT_FIELDS` fields stay JSON text.
* ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON, but common) are read as numbers; profiling
  counts them in a note and the typed view makes them NULL (MySQL cannot store them).
* In JSONL a line that is not JSON is a reject (its line and text kept); in a JSON document a
  syntax error is a :class:`FormatError` with the line DuckDB reports.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from agents.errors import FormatError
from agents.staging.encodings import Decoded, decode_to_utf8
from agents.staging.names import (
    quote_ident,
    sanitize_name,
    sql_literal,
    unique_name,
    usable_name,
)
from agents.staging.relations import (
    MAX_REJECT_RAW,
    MAX_REJECTS,
    Format,
    ReaderReject,
    StagedRelation,
    StagingJob,
)

MAX_OBJECT_FIELDS = 200
PYTHON_PARSE_LIMIT = 64 * 1024 * 1024
"""A JSON document with a syntax error is re-read by Python, up to this size, for the line."""

# A merged structure: a DuckDB type name, an object (field -> structure), or a list of one.
Structure = str | dict[str, "Structure"] | list["Structure"]
_KEY_NAMES = ("id",)
_KEY_TYPES = ("UBIGINT", "BIGINT", "HUGEINT", "VARCHAR")


@dataclass(frozen=True)
class _Leaf:
    name: str
    source_name: str
    expression: str
    duck_type: str


@dataclass(frozen=True)
class _ListField:
    parts: tuple[str, ...]
    expression: str
    element: Structure


def stage_json(
    job: StagingJob,
    *,
    format: Format,
    nested_lists: Literal["child_tables", "json_column"],
) -> list[StagedRelation]:
    """Stage a JSON or JSONL file as the job's relation plus one relation per nested list
    (or, for an object holding several lists of records, one relation per list, each with
    its nested lists)."""
    decoded = decode_to_utf8(job)
    kind = _kind(job, decoded.path, format)
    lists: dict[str, str | None] = {job.relation: None}
    notes: dict[str, tuple[str, ...]] = {}
    if kind == "object":
        lists, notes = _lists_to_stage(job, decoded.path)
    staged: list[StagedRelation] = []
    for relation, key in lists.items():
        list_job = dataclasses.replace(job, relation=relation)
        staged += _stage_records_of(
            list_job,
            decoded,
            kind,
            key,
            nested_lists=nested_lists,
            notes=notes.get(relation, ()),
        )
    return staged


def _stage_records_of(
    job: StagingJob,
    decoded: Decoded,
    kind: Literal["array", "lines", "object"],
    key: str | None,
    *,
    nested_lists: Literal["child_tables", "json_column"],
    notes: tuple[str, ...],
) -> list[StagedRelation]:
    """The job's relation from the file's records (those of the list `key` of an object)."""
    docs = f"__docs_{job.relation}"
    _load_documents(job, decoded.path, kind, docs, key=key)
    rejects = _bad_lines(job, decoded.path, docs) if kind == "lines" else ()
    structure = _structure(job, docs, lists_as_json=nested_lists == "json_column")
    records = f"__records_{job.relation}"
    job.con.execute(
        f"CREATE OR REPLACE TABLE {job.table(records)} AS SELECT __record, "
        f"json_transform(doc, {sql_literal(json.dumps(structure))}) AS r "
        f"FROM {job.table(docs)} WHERE doc IS NOT NULL"
    )
    job.con.execute(f"DROP TABLE {job.table(docs)}")
    base = StagedRelation(
        relation=job.relation,
        raw_relation=f"raw_{job.relation}",
        source=job.source,
        file=job.file,
        format="jsonl" if kind == "lines" else "json",
        encoding=decoded.encoding,
        delimiter=None,
        header=None,
        columns=[],
        rejects=rejects,
        data_file=decoded.path if decoded.path != job.file else None,
        notes=(*decoded.notes, *notes),
    )
    return _stage_records(job, base, records, structure, extra=[])


# --- reading -------------------------------------------------------------------------------------


def _kind(job: StagingJob, path: Path, format: Format) -> Literal["array", "lines", "object"]:
    if format == "jsonl":
        return "lines"
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "array"
    try:
        row = job.con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM read_json_objects($file, format = 'unstructured', "
            "maximum_object_size = $size) LIMIT 2)",
            {"file": str(path), "size": _object_size(path)},
        ).fetchone()
    except duckdb.Error:
        return "lines"
    assert row is not None  # an aggregate always returns a row
    return "object" if row[0] == 1 else "lines"


def _object_size(path: Path) -> int:
    return max(16 * 1024 * 1024, path.stat().st_size + 1)


def _load_documents(
    job: StagingJob, path: Path, kind: str, docs: str, *, key: str | None = None
) -> None:
    """One row per record: ``__record`` and the record's JSON text (NULL for a bad JSONL line);
    for an object, the records of its list `key` (None: the object is the one record)."""
    params = {
        "file": str(path),
        "size": _object_size(path) if kind == "object" else 16 * 1024 * 1024,
    }
    if kind == "lines":
        source = (
            "SELECT json FROM read_json_objects($file, format = 'newline_delimited', "
            "ignore_errors = true, maximum_object_size = $size)"
        )
    elif kind == "array":
        source = (
            "SELECT json FROM read_json_objects($file, format = 'array', "
            "maximum_object_size = $size)"
        )
    else:
        if key is None:
            source = (
                "SELECT json FROM read_json_objects($file, format = 'unstructured', "
                "maximum_object_size = $size)"
            )
        else:
            params["key"] = key
            source = (
                "SELECT unnest(CAST(json -> $key AS JSON[])) AS json FROM read_json_objects("
                "$file, format = 'unstructured', maximum_object_size = $size)"
            )
    try:
        job.con.execute(
            f"CREATE OR REPLACE TABLE {job.table(docs)} AS "
            f"SELECT row_number() OVER () AS __record, json AS doc FROM ({source})",
            params,
        )
    except duckdb.Error as error:
        raise _syntax_error(job, path, error) from None
    row = job.con.execute(f"SELECT count(*) FROM {job.table(docs)}").fetchone()
    assert row is not None  # an aggregate always returns a row
    if row[0] == 0:
        raise job.error("holds no records")


def _lists_to_stage(
    job: StagingJob, path: Path
) -> tuple[dict[str, str | None], dict[str, tuple[str, ...]]]:
    """({relation: the object's list of records it is staged from}, {relation: notes}).

    No list: the object is the one record. One list, or the list the person named: the job's
    relation. Several: ``<relation>__<list>`` each, with a note saying how to take only one.
    """
    lists = _record_lists(job, path)
    wanted = job.read.json_list
    if wanted is not None and wanted in lists:
        others = [key for key in lists if key != wanted]
        said = f"only the {wanted} list, as asked (the file also holds {', '.join(others)})"
        return {job.relation: wanted}, ({job.relation: (said,)} if others else {})
    if wanted is not None and len(lists) > 1:
        raise job.error(
            f"holds the lists {', '.join(lists)} but no list {wanted}; say which one to import"
        )
    if len(lists) <= 1:
        key = lists[0] if lists else None
        missing = wanted is not None and key is not None
        instead = (f"no list {wanted}: its one list of records, {key}, is imported",)
        return {job.relation: key}, ({job.relation: instead} if missing else {})
    relations: dict[str, str | None] = {}
    notes: dict[str, tuple[str, ...]] = {}
    for key in lists:
        relation = unique_name(f"{job.relation}__{sanitize_name(key) or 'list'}", relations)
        relations[relation] = key
        notes[relation] = (
            f"the {key} list, one of {len(lists)} lists of records in the file "
            f"({', '.join(lists)}), each its own table; say `only the {key} list` to take one",
        )
    return relations, notes


def _record_lists(job: StagingJob, path: Path) -> list[str]:
    """The fields of a top-level object that hold lists of records, in the file's order."""
    try:
        row = job.con.execute(
            "SELECT json_structure(json) FROM read_json_objects($file, format = 'unstructured', "
            "maximum_object_size = $size)",
            {"file": str(path), "size": _object_size(path)},
        ).fetchone()
    except duckdb.Error as error:
        raise _syntax_error(job, path, error) from None
    assert row is not None  # the file holds one object (see _kind)
    fields = json.loads(row[0], object_pairs_hook=list)
    if not isinstance(fields, list) or not all(isinstance(pair, tuple) for pair in fields):
        return []
    return [key for key, value in fields if _is_list_of_objects(value)]


def _is_list_of_objects(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], list)
        and all(isinstance(pair, tuple) for pair in value[0])
    )


def _syntax_error(job: StagingJob, path: Path, error: duckdb.Error) -> FormatError:
    """DuckDB's message names a line (JSONL) or the n-th value of an array: find its line."""
    text = str(error)
    detail = text.strip().split("\n", 1)[0]
    detail = re.sub(r'^.*?Malformed JSON in file "[^"]*",\s*', "", detail)
    line = re.search(r"\bline (\d+)", detail)
    number = int(line.group(1)) if line else _python_error_line(path)
    return job.error(f"is not valid JSON: {detail[:300]}", number)


def _python_error_line(path: Path) -> int | None:
    """Python's parser names the line of a syntax error; asked only for files it can hold."""
    if path.stat().st_size > PYTHON_PARSE_LIMIT:
        return None
    try:
        json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        return error.lineno
    return None


def _bad_lines(job: StagingJob, path: Path, docs: str) -> tuple[ReaderReject, ...]:
    """Rejects for the JSONL lines DuckDB could not parse, with their lines and text."""
    bad = [
        row[0]
        for row in job.con.execute(
            f"SELECT __record FROM {job.table(docs)} WHERE doc IS NULL ORDER BY __record"
        ).fetchall()
    ]
    if not bad:
        return ()
    if len(bad) > MAX_REJECTS:
        raise job.error(f"{len(bad)} lines are not valid JSON; is this a JSONL file?")
    wanted = set(bad)
    found: dict[int, tuple[int, str]] = {}
    for record, line, text in _lines(path):
        if record in wanted:
            found[record] = (line, text)
            if len(found) == len(wanted):
                break
    rejects: list[ReaderReject] = []
    for record in bad:
        number: int | None = None
        raw: str | None = None
        if record in found:
            number, text = found[record]
            raw = text.rstrip("\r\n")[:MAX_REJECT_RAW]
        rejects.append(ReaderReject(line=number, reason="not valid JSON", raw=raw))
    return tuple(rejects)


def _lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(record, line, text) for each non-blank line of a JSONL file."""
    record = 0
    with open(path, encoding="utf-8", errors="replace", newline="\n") as handle:
        for line, text in enumerate(handle, start=1):
            if text.strip():
                record += 1
                yield record, line, text


# --- structure ---------------------------------------------------------------------------------


def _structure(job: StagingJob, docs: str, *, lists_as_json: bool) -> Structure:
    row = job.con.execute(
        f"SELECT json_group_structure(doc) FROM {job.table(docs)} WHERE doc IS NOT NULL"
    ).fetchone()
    if row is None or row[0] is None:
        raise job.error("holds no records")
    return _clean(json.loads(row[0], object_pairs_hook=list), lists_as_json=lists_as_json)


def _clean(node: object, *, lists_as_json: bool) -> Structure:
    """A structure json_transform accepts and flattening can name; see the module docstring."""
    if isinstance(node, list) and all(isinstance(pair, tuple) for pair in node) and node:
        keys = [key for key, _ in node]
        if len(keys) > MAX_OBJECT_FIELDS or len({key.lower() for key in keys}) != len(keys):
            return "JSON"
        return {key: _clean(value, lists_as_json=lists_as_json) for key, value in node}
    if isinstance(node, list):
        if lists_as_json or not node:
            return "JSON"
        element = _clean(node[0], lists_as_json=lists_as_json)
        return ["JSON" if isinstance(element, list) else element]
    if node == "NULL":
        return "VARCHAR"
    return node if isinstance(node, str) else "JSON"


def _flatten(
    node: Structure, expression: str, parts: tuple[str, ...]
) -> tuple[list[tuple[tuple[str, ...], str, str]], list[_ListField]]:
    """Leaves (path, expression, type) and lists (path, expression, element) of a structure."""
    if isinstance(node, dict):
        leaves: list[tuple[tuple[str, ...], str, str]] = []
        lists: list[_ListField] = []
        for key, child in node.items():
            sub = f"struct_extract({expression}, {sql_literal(key)})"
            child_leaves, child_lists = _flatten(child, sub, (*parts, key))
            leaves += child_leaves
            lists += child_lists
        return leaves, lists
    if isinstance(node, list):
        return [], [_ListField(parts, expression, node[0])]
    return [(parts, expression, node)], []


def _leaf_expression(expression: str, duck_type: str) -> str:
    """Mixed values (DuckDB's JSON type) as text: scalars unquoted, objects and arrays as JSON."""
    if duck_type != "JSON":
        return expression
    return (
        f"CASE WHEN json_type({expression}) IN ('OBJECT', 'ARRAY') "
        f"THEN CAST({expression} AS VARCHAR) ELSE json_extract_string({expression}, '$') END"
    )


# --- relations ---------------------------------------------------------------------------------


def _stage_records(
    job: StagingJob,
    base: StagedRelation,
    records: str,
    structure: Structure,
    *,
    extra: list[tuple[str, str]],
) -> list[StagedRelation]:
    """The raw view over one records table, then the children of its lists, depth first."""
    leaves, lists = _flatten(structure, "r", ())
    taken = {name for name, _ in extra}
    columns: list[_Leaf] = []
    for parts, expression, duck_type in leaves:
        name = "__".join(sanitize_name(part) or "field" for part in parts) or "value"
        name = unique_name(usable_name(name, prefix="c"), taken)
        taken.add(name)
        source_name = ".".join(parts) or "value"
        columns.append(_Leaf(name, source_name, _leaf_expression(expression, duck_type), duck_type))
    select = ["__record", *(quote_ident(name) for name, _ in extra)]
    select += [f"{leaf.expression} AS {quote_ident(leaf.name)}" for leaf in columns]
    job.con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(base.raw_relation)} AS "
        f"SELECT {', '.join(select)} FROM {job.table(records)}"
    )
    staged = dataclasses.replace(
        base, columns=[*extra, *((leaf.name, leaf.source_name) for leaf in columns)]
    )
    result = [staged]
    key = _parent_key(job, records, columns)
    for list_field in lists:
        result += _stage_child(job, staged, records, list_field, key)
    return result


def _parent_key(job: StagingJob, records: str, columns: list[_Leaf]) -> _Leaf | None:
    """The parent's ``id``-like top-level field, if it is a unique non-null integer or string."""
    candidates = [
        leaf
        for leaf in columns
        if "." not in leaf.source_name
        and (leaf.name in _KEY_NAMES or leaf.name.endswith("_id"))
        and leaf.duck_type in _KEY_TYPES
    ]
    candidates.sort(key=lambda leaf: leaf.name not in _KEY_NAMES)
    for leaf in candidates:
        row = job.con.execute(
            f"SELECT count({leaf.expression}) = count(*) "
            f"AND count(DISTINCT {leaf.expression}) = count(*) "
            f"FROM {job.table(records)}"
        ).fetchone()
        assert row is not None  # an aggregate always returns a row
        if row[0]:
            return leaf
    return None


def _stage_child(
    job: StagingJob,
    parent: StagedRelation,
    parent_records: str,
    list_field: _ListField,
    key: _Leaf | None,
) -> list[StagedRelation]:
    suffix = "__".join(sanitize_name(part) or "field" for part in list_field.parts) or "value"
    relation = f"{parent.relation}__{suffix}"
    records = f"__records_{relation}"
    extra = [("_parent_record", "_parent_record")]
    key_select = ""
    if key is not None:
        key_name = sanitize_name(f"{parent.relation}_{key.name}")
        extra.append((key_name, f"{parent.relation}.{key.source_name}"))
        key_select = f"{key.expression} AS {quote_ident(key_name)}, "
    extra.append(("_index", "_index"))
    items = list_field.expression
    job.con.execute(
        f"CREATE OR REPLACE TABLE {job.table(records)} AS "
        f"SELECT row_number() OVER () AS __record, * FROM ("
        f"SELECT __record AS _parent_record, {key_select}"
        f"unnest(range(len({items}))) AS _index, unnest({items}) AS r "
        f"FROM {job.table(parent_records)} WHERE len({items}) > 0)"
    )
    base = StagedRelation(
        relation=relation,
        raw_relation=f"raw_{relation}",
        source=parent.source,
        file=parent.file,
        format=parent.format,
        encoding=parent.encoding,
        delimiter=None,
        header=None,
        columns=[],
        parent=parent.relation,
        data_file=parent.data_file,
    )
    return _stage_records(job, base, records, list_field.element, extra=extra)


# --- lines -------------------------------------------------------------------------------------

_TOKEN = re.compile(rb'[\[\]{},"\\\n]|[^\[\]{},"\\\n\s]+')


@dataclass(frozen=True)
class _Element:
    """Where an element of the top-level array starts: its number, line and byte offset."""

    number: int
    line: int
    offset: int


def _elements(path: Path, start: _Element | None = None) -> Iterator[_Element]:
    """The elements of a top-level JSON array, from ``start`` (an element start) or the top."""
    line, depth, seen, base = 1, 0, 0, 0
    in_string = escaped = expecting = False
    if start is not None:
        line, depth, seen, base, expecting = start.line, 1, start.number - 1, start.offset, True
    with path.open("rb") as handle:
        handle.seek(base)
        while chunk := handle.read(1024 * 1024):
            for match in _TOKEN.finditer(chunk):
                token = match.group()
                if token == b"\n":
                    line += 1
                    escaped = False
                elif in_string:
                    if escaped:
                        escaped = False
                    elif token == b"\\":
                        escaped = True
                    elif token == b'"':
                        in_string = False
                elif depth == 0 and token != b"[":
                    return
                else:
                    if expecting and depth == 1 and token not in (b",", b"]"):
                        seen += 1
                        yield _Element(seen, line, base + match.start())
                        expecting = False
                    if token == b'"':
                        in_string = True
                    elif token in (b"[", b"{"):
                        depth += 1
                        expecting = expecting or depth == 1
                    elif token in (b"]", b"}"):
                        depth -= 1
                    elif token == b"," and depth == 1:
                        expecting = True
            base += len(chunk)


@functools.lru_cache(maxsize=16)
def _element_checkpoints(path: Path, size: int, modified: int) -> tuple[_Element, ...]:
    """Every 4096th element's start, from one pass (size and mtime key the cache)."""
    return tuple(element for element in _elements(path) if element.number % 4096 == 1)


def array_record_line(staged: StagedRelation, *, record: int) -> int | None:
    """The line where the ``record``-th element of a top-level JSON array starts; None when the
    records are not a top-level array (an object's list, a single object)."""
    path = staged.data_file or staged.file
    stat = path.stat()
    marks = _element_checkpoints(path, stat.st_size, stat.st_mtime_ns)
    index = bisect.bisect_right([mark.number for mark in marks], record) - 1
    for element in _elements(path, marks[index] if index >= 0 else None):
        if element.number == record:
            return element.line
        if element.number > record:
            break
    return None
