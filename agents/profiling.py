"""Profiling: what the LLM and the baseline know about a staged relation, in bounded size.

One pass over the relation measures every column (counts, lengths, min/max, distinct estimate,
and for text the pattern counts :mod:`agents.type_inference` decides from); the first 1,000
records only choose which pattern counts a text column needs (a plain word there settles "text";
anything else is confirmed over the whole column). Then the typed view is created with the
inferred types, candidate keys are checked exactly on it, and the first records become samples.

The profile's size does not grow with the data: samples are a fixed number of records with cells
cut at ``max_cell_chars``, min/max are cut the same way, notes are capped at :data:`MAX_NOTES`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import duckdb

from agents.artifacts import ColumnProfile, SourceProfile
from agents.staging import StagedRelation, apply_types, quote_ident, relation_types
from agents.type_inference import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    FIXED_PATTERN,
    FLOAT_PATTERN,
    INTEGER_PATTERN,
    LEADING_ZERO_PATTERN,
    Inferred,
    families_to_check,
    fit_row_size,
    infer_native_type,
    infer_text_type,
    native_kind,
    parse_type,
)

FAMILY_SAMPLE = 1_000
"""Records whose text values choose which pattern counts a column needs."""
MAX_NOTES = 20
MAX_KEY_CHECKS = 10
MAX_KEYS = 5
CHILD_KEY = ["_parent_record", "_index"]
PAIR_COLUMNS = 8
KEY_TYPES = {
    "TINYINT",
    "SMALLINT",
    "MEDIUMINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "DECIMAL",
    "CHAR",
    "VARCHAR",
    "DATE",
    "DATETIME",
}


def profile_relation(
    con: duckdb.DuckDBPyConnection,
    *,
    staged: StagedRelation,
    sample_rows: int = 5,
    max_cell_chars: int = 200,
) -> SourceProfile:
    """Profile ``staged`` and (re)create its typed view with the inferred types."""
    raw_types = relation_types(con, staged.raw_relation)
    names = [name for name, _ in staged.columns]
    text = [name for name in names if _reads_as_text(staged, raw_types[name])]
    families = _families(con, staged, text)
    row_count, stats = _measure(con, staged, raw_types, families, max_cell_chars)
    inferred: dict[str, Inferred] = {}
    for name in names:
        if name in families:
            inferred[name] = infer_text_type(name, stats[name])
        else:
            inferred[name] = infer_native_type(name, raw_types[name], stats[name])
    types, widened = fit_row_size({name: inferred[name].type for name in names})
    apply_types(con, staged=staged, types=types)
    columns = [
        _column_profile(name, source_name, types[name], inferred[name], stats[name], row_count)
        for name, source_name in staged.columns
    ]
    notes = [*staged.notes, *_reject_notes(staged)]
    notes += [note for name in names for note in inferred[name].notes]
    if widened:
        notes.append(f"{_some(widened)} stored as TEXT to keep a row under MySQL's 65,535 bytes")
    return SourceProfile(
        source=staged.source,
        file=str(staged.file),
        relation=staged.relation,
        format=staged.format,
        encoding=staged.encoding,
        delimiter=staged.delimiter,
        header=staged.header,
        row_count=row_count,
        columns=columns,
        sample_rows=_samples(con, staged, raw_types, sample_rows, max_cell_chars),
        candidate_keys=candidate_keys(
            con,
            relation=staged.relation,
            columns=columns,
            row_count=row_count,
            structural=CHILD_KEY if staged.parent else None,
        ),
        parent=staged.parent,
        rejected_rows=len(staged.rejects),
        notes=_capped(notes),
    )


def _reads_as_text(staged: StagedRelation, duck_type: str) -> bool:
    """Text columns get pattern inference; Parquet strings are strings by the file's own types."""
    return native_kind(duck_type) == "varchar" and staged.format != "parquet"


# --- measuring -------------------------------------------------------------------------------


def _families(
    con: duckdb.DuckDBPyConnection, staged: StagedRelation, text: list[str]
) -> dict[str, tuple[str, ...]]:
    """Per text column, the families of patterns to count (from the first records)."""
    if not text:
        return {}
    select = ", ".join(quote_ident(name) for name in text)
    rows = con.execute(
        f"SELECT {select} FROM {quote_ident(staged.raw_relation)} "
        f"ORDER BY __record LIMIT {FAMILY_SAMPLE}"
    ).fetchall()
    return {name: families_to_check([row[i] for row in rows]) for i, name in enumerate(text)}


def _sql(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def _cut(expression: str, limit: int) -> str:
    return f"left(CAST({expression} AS VARCHAR), {limit})"


def _text_measures(c: str, families: tuple[str, ...], limit: int) -> dict[str, str]:
    """Aggregates for a text column: the base ones, then those of each family to confirm."""
    measures = {
        "values": f"count({c})",
        "empty": f"count_if({c} = '')",
        "max_length": f"max(length({c}))",
        "distinct": f"approx_count_distinct({c})",
        "min": _cut(f"min({c})", limit),
        "max": _cut(f"max({c})", limit),
        "leading_zeros": f"count_if(regexp_full_match({c}, {_sql(LEADING_ZERO_PATTERN)}))",
    }
    if "boolean" in families:
        measures["booleans"] = f"count_if(lower(trim({c})) IN ('true', 'false'))"
    if "number" in families:
        is_integer = f"regexp_full_match({c}, {_sql(INTEGER_PATTERN)})"
        is_fixed = f"regexp_full_match({c}, {_sql(FIXED_PATTERN)})"
        as_double = f"TRY_CAST({c} AS DOUBLE)"
        measures |= {
            "integers": f"count_if({is_integer})",
            "fixed": f"count_if({is_fixed})",
            "floats": (
                f"count_if(regexp_full_match({c}, {_sql(FLOAT_PATTERN)}) AND isfinite({as_double}))"
            ),
            "integer_min": f"min(TRY_CAST({c} AS HUGEINT)) FILTER (WHERE {is_integer})",
            "integer_max": f"max(TRY_CAST({c} AS HUGEINT)) FILTER (WHERE {is_integer})",
            "integer_digits": (
                f"max(length(ltrim(split_part(ltrim(trim({c}), '+-'), '.', 1), '0'))) "
                f"FILTER (WHERE {is_fixed})"
            ),
            "scale": f"max(length(split_part(trim({c}), '.', 2))) FILTER (WHERE {is_fixed})",
            "number_min": _cut(f"arg_min({c}, {as_double})", limit),
            "number_max": _cut(f"arg_max({c}, {as_double})", limit),
        }
    if "temporal" in families:
        as_timestamp = f"TRY_CAST(trim({c}) AS TIMESTAMP)"
        is_datetime = f"regexp_full_match({c}, {_sql(DATETIME_PATTERN)})"
        measures |= {
            "dates": (
                f"count_if(regexp_full_match({c}, {_sql(DATE_PATTERN)}) "
                f"AND TRY_CAST(trim({c}) AS DATE) IS NOT NULL)"
            ),
            "datetimes": f"count_if({is_datetime} AND {as_timestamp} IS NOT NULL)",
            "fraction_digits": (
                f"max(length(regexp_extract({c}, '\\.([0-9]+)', 1))) FILTER (WHERE {is_datetime})"
            ),
            "utc": f"count_if(regexp_matches({c}, 'Z\\s*$'))",
            "temporal_min": _cut(f"arg_min({c}, {as_timestamp})", limit),
            "temporal_max": _cut(f"arg_max({c}, {as_timestamp})", limit),
        }
    if "json" in families:
        measures["json"] = f"count_if(left(ltrim({c}), 1) IN ('{{', '[') AND json_valid({c}))"
    return measures


def _native_measures(c: str, duck_type: str, limit: int) -> dict[str, str]:
    """Aggregates for a typed column, by what its type needs."""
    kind = native_kind(duck_type)
    measures = {"values": f"count({c})", "distinct": f"approx_count_distinct({c})"}
    if kind in ("integer", "decimal", "boolean", "date", "timestamp", "timestamptz", "time"):
        measures |= {"min": f"min({c})", "max": f"max({c})"}
    if kind == "float":
        measures |= {
            "non_finite": f"count_if(NOT isfinite({c}))",
            "min": f"min({c}) FILTER (WHERE isfinite({c}))",
            "max": f"max({c}) FILTER (WHERE isfinite({c}))",
        }
    if kind in ("timestamp", "timestamptz"):
        measures["fractions"] = f"count_if(date_part('microseconds', {c}) % 1000000 <> 0)"
    if kind == "varchar":
        measures |= {
            "empty": f"count_if({c} = '')",
            "max_length": f"max(length({c}))",
            "leading_zeros": f"count_if(regexp_full_match({c}, {_sql(LEADING_ZERO_PATTERN)}))",
            "min": _cut(f"min({c})", limit),
            "max": _cut(f"max({c})", limit),
        }
    if kind == "blob":
        measures["max_length"] = f"max(octet_length({c}))"
    if kind in ("other", "json"):
        measures["max_length"] = f"max(length(CAST({c} AS VARCHAR)))"
    return measures


def _measure(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    raw_types: Mapping[str, str],
    families: Mapping[str, tuple[str, ...]],
    limit: int,
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Row count and per-column statistics, in one pass over the raw relation."""
    keys: list[tuple[str, str]] = []
    select = ["count(*)"]
    for name, _ in staged.columns:
        c = quote_ident(name)
        if name in families:
            measures = _text_measures(c, families[name], limit)
        else:
            measures = _native_measures(c, raw_types[name], limit)
        for key, expression in measures.items():
            keys.append((name, key))
            select.append(expression)
    row = con.execute(
        f"SELECT {', '.join(select)} FROM {quote_ident(staged.raw_relation)}"
    ).fetchone()
    assert row is not None
    stats: dict[str, dict[str, Any]] = {name: {} for name, _ in staged.columns}
    for (name, key), value in zip(keys, row[1:], strict=True):
        stats[name][key] = value
    return int(row[0]), stats


# --- assembling --------------------------------------------------------------------------------


def _column_profile(
    name: str,
    source_name: str,
    type_: str,
    inferred: Inferred,
    stats: Mapping[str, Any],
    row_count: int,
) -> ColumnProfile:
    values = int(stats["values"])
    low, high = stats.get("min"), stats.get("max")
    base = parse_type(type_)[0]
    if (
        base in ("TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL", "DOUBLE")
        and "number_min" in stats
    ):
        low, high = stats["number_min"], stats["number_max"]
    elif base in ("DATE", "DATETIME") and "temporal_min" in stats:
        low, high = stats["temporal_min"], stats["temporal_max"]
    max_length = stats.get("max_length")
    return ColumnProfile(
        name=name,
        source_name=source_name,
        inferred_type=type_,
        nullable=values < row_count,
        null_count=row_count - values,
        empty_string_count=int(stats.get("empty") or 0),
        distinct_estimate=min(int(stats["distinct"] or 0), values),
        min_value=None if low is None else str(low),
        max_value=None if high is None else str(high),
        max_length=None if max_length is None else int(max_length),
        leading_zeros=inferred.leading_zeros,
    )


def _reject_notes(staged: StagedRelation) -> list[str]:
    if not staged.rejects:
        return []
    shown = "; ".join(
        f"line {reject.line}: {reject.reason}" if reject.line else reject.reason
        for reject in staged.rejects[:3]
    )
    more = f"; and {len(staged.rejects) - 3} more" if len(staged.rejects) > 3 else ""
    return [f"{len(staged.rejects)} record(s) could not be read and are rejected ({shown}{more})"]


def _some(names: list[str], shown: int = 10) -> str:
    text = ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[: MAX_NOTES - 1], f"... and {len(notes) - MAX_NOTES + 1} more notes"]


def _samples(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    raw_types: Mapping[str, str],
    count: int,
    limit: int,
) -> list[dict[str, Any]]:
    """The first ``count`` records as read, long cells cut at ``limit`` characters with '…'."""
    if count <= 0 or not staged.columns:
        return []
    select = []
    for name, _ in staged.columns:
        c = quote_ident(name)
        kind = native_kind(raw_types[name])
        if kind in ("integer", "boolean"):
            select.append(c)
            continue
        text = f"CAST(to_json({c}) AS VARCHAR)" if kind == "nested" else f"CAST({c} AS VARCHAR)"
        select.append(
            f"CASE WHEN length({text}) > {limit} THEN left({text}, {limit}) || '…' ELSE {text} END"
        )
    rows = con.execute(
        f"SELECT {', '.join(select)} FROM {quote_ident(staged.raw_relation)} "
        f"ORDER BY __record LIMIT {int(count)}"
    ).fetchall()
    names = [name for name, _ in staged.columns]
    return [dict(zip(names, row, strict=True)) for row in rows]


# --- keys ------------------------------------------------------------------------------------


def _key_rank(name: str) -> int:
    """``id`` first, then ``*_id``, ``*_key``, ``*_code``, ``key``, ``code``, then the rest."""
    if name == "id":
        return 0
    if name.endswith(("_id", "_key", "_code", "_uuid")) or name in ("key", "code", "uuid", "guid"):
        return 1
    return 2


def candidate_keys(
    con: duckdb.DuckDBPyConnection,
    *,
    relation: str,
    columns: list[ColumnProfile],
    row_count: int,
    structural: list[str] | None = None,
) -> list[list[str]]:
    """Columns that are non-NULL and unique over the whole relation (checked exactly), ``id``-like
    names first; if there are none, unique pairs among the first eight columns.

    A child relation passes its ``structural`` key (``_parent_record``, ``_index``), unique by
    construction: it comes after the single columns and replaces the search for pairs.
    """
    if row_count == 0:
        return []
    eligible = [
        column
        for column in columns
        if column.null_count == 0
        and parse_type(column.inferred_type)[0] in KEY_TYPES
        and column.name not in (structural or ())
    ]
    singles = [
        column.name
        for column in sorted(eligible, key=lambda column: _key_rank(column.name))
        if column.distinct_estimate >= 0.8 * row_count
    ][:MAX_KEY_CHECKS]
    keys = [[name] for name in singles if _unique(con, relation, [name], row_count)]
    if structural:
        return [*keys[: MAX_KEYS - 1], list(structural)]
    if keys:
        return keys[:MAX_KEYS]
    first = [column.name for column in columns[:PAIR_COLUMNS] if column in eligible]
    pairs = list(itertools.combinations(first, 2))
    if not pairs:
        return []
    estimates = con.execute(
        "SELECT "
        + ", ".join(
            f"approx_count_distinct(hash({quote_ident(a)}, {quote_ident(b)}))" for a, b in pairs
        )
        + f" FROM {quote_ident(relation)}"
    ).fetchone()
    assert estimates is not None
    likely = [
        list(pair)
        for pair, estimate in zip(pairs, estimates, strict=True)
        if estimate >= 0.8 * row_count
    ][:MAX_KEY_CHECKS]
    return [pair for pair in likely if _unique(con, relation, pair, row_count)][:MAX_KEYS]


def _unique(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str], row_count: int
) -> bool:
    select = ", ".join(quote_ident(name) for name in names)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT {select} FROM {quote_ident(relation)})"
    ).fetchone()
    return row is not None and row[0] == row_count
