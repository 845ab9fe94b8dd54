"""Profiling: what the LLM and the baseline know about a staged relation, in bounded size.

One pass over the relation measures every column (counts, lengths, min/max, distinct estimate,
and for text the counts :mod:`agents.inspection.type_inference` decides from). The first
1,000 records only choose which counts a text column needs: a plain word there settles "text";
otherwise they guess one type, and the pass takes just the counts that confirm it over the whole
column (:func:`~agents.inspection.type_inference.confirm_guess`). A column whose guess is not
confirmed gets a second pass with every pattern count of its families, which decides as before.
Dates written ``31/01/2015`` or ``01/31/2015`` take one pass first, over every such column,
that decides their order from all their values
(:func:`~agents.inspection.value_formats.day_month_choice`).
Then the typed view is created with the inferred types, candidate keys are checked exactly on it
(a column whose values strictly rise or fall from record to record is unique without counting),
and the first records become samples.

The profile's size does not grow with the data: samples are a fixed number of records with cells
cut at ``max_cell_chars``, min/max are cut the same way, notes are capped at :data:`MAX_NOTES`.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

from agents.artifacts import ColumnProfile, ReadOptions, SourceProfile, ValueReading
from agents.errors import AgentError
from agents.inspection.type_inference import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    FIXED_PATTERN,
    FLOAT_PATTERN,
    INTEGER_PATTERN,
    LEADING_ZERO_PATTERN,
    PLAIN_FIXED_PATTERN,
    Inferred,
    cast_expression,
    confirm_guess,
    duckdb_type,
    families_to_check,
    fit_row_size,
    guess_text_type,
    infer_native_type,
    infer_text_type,
    native_kind,
    parse_type,
    trimmed,
)
from agents.inspection.value_formats import (
    Choice,
    choose_reading,
    day_month_choice,
    day_month_measures,
    detects_decimal_comma,
    gives_trimmed_text,
    missing_measure,
    normalized,
    null_markers,
)
from agents.inspection.value_formats import note as reading_note
from agents.staging.names import quote_ident
from agents.staging.relations import StagedRelation, create_relation_view, relation_types

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
    read: ReadOptions | None = None,
    sample_rows: int = 5,
    max_cell_chars: int = 200,
) -> SourceProfile:
    """Profile ``staged`` and (re)create its typed view with the inferred types.

    ``read`` says which markers are missing values and whether numbers use decimal commas
    (see :mod:`~agents.inspection.value_formats`); None: the defaults, detected.
    """
    raw_types = relation_types(con, staged.raw_relation)
    names = [name for name, _ in staged.columns]
    text = [name for name in names if _reads_as_text(staged, raw_types[name])]
    first = _first_values(con, staged, text)
    markers = null_markers(read)
    decimal_comma = (read is not None and read.decimal_comma) or detects_decimal_comma(
        staged.delimiter, first, markers
    )
    choices = {
        name: choose_reading(values, markers=markers, decimal_comma=decimal_comma)
        for name, values in first.items()
    }
    choices |= _day_month_choices(con, staged, choices, markers)
    readings = {name: c.reading for name, c in choices.items() if c.reading is not None}
    first |= _first_values(con, staged, list(readings), readings)
    families = {name: families_to_check(values) for name, values in first.items()}
    guesses = {name: guess_text_type(values, families[name]) for name, values in first.items()}
    row_count, stats, readings = _measure(
        con, staged, raw_types, families, guesses, readings, markers, max_cell_chars
    )
    inferred: dict[str, Inferred] = {}
    for name in names:
        if name in families:
            inferred[name] = infer_text_type(name, stats[name])
        else:
            inferred[name] = infer_native_type(name, raw_types[name], stats[name])
    types, widened = fit_row_size({name: inferred[name].type for name in names})
    kept = _typed_readings(readings, types, stats)
    apply_types(con, staged=staged, types=types, inferred=families, readings=kept)
    columns = [
        _column_profile(
            name, source_name, types[name], inferred[name], stats[name], row_count, kept.get(name)
        )
        for name, source_name in staged.columns
    ]
    notes = [*staged.notes, *_reject_notes(staged)]
    notes += [text for name, choice in choices.items() for text in _prefixed(name, choice.notes)]
    notes += [reading_note(name, reading) for name, reading in kept.items()]
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
        renamed=list(staged.renamed),
    )


def retype_relation(
    con: duckdb.DuckDBPyConnection, *, staged: StagedRelation, profile: SourceProfile
) -> None:
    """Recreate the typed view of a freshly staged file with the types its profile chose."""
    raw_types = relation_types(con, staged.raw_relation)
    text = {name for name, _ in staged.columns if _reads_as_text(staged, raw_types[name])}
    types = {column.name: column.inferred_type for column in profile.columns}
    readings = {c.name: c.reading for c in profile.columns if c.reading is not None}
    apply_types(con, staged=staged, types=types, inferred=text, readings=readings)


def apply_types(
    con: duckdb.DuckDBPyConnection,
    *,
    staged: StagedRelation,
    types: Mapping[str, str],
    inferred: Collection[str] = (),
    readings: Mapping[str, ValueReading] | None = None,
) -> None:
    """(Re)create the typed view ``staged.relation`` over ``staged.raw_relation``.

    ``types`` maps staged column names to MySQL types; each such column is cast to the matching
    DuckDB type (``TRY_CAST`` for text, so a value that does not fit becomes NULL — the executor
    compares with the raw relation to reject it). Columns not in ``types`` pass through.
    ``inferred`` names text columns whose type was inferred from all their values (see
    :func:`~agents.inspection.type_inference.cast_expression`). ``readings`` say how such a
    column's text is read (markers, number and date formats): the cast runs on the normalised
    text, so a marker becomes NULL — a missing value, not a value that does not fit.
    """
    known = {name for name, _ in staged.columns}
    unknown = sorted(set(types) - known)
    if unknown:
        raise AgentError(f"{staged.relation} has no column(s) {', '.join(unknown)}")
    raw_types = relation_types(con, staged.raw_relation)
    readings = readings or {}
    casts = {}
    for name, mysql_type in types.items():
        column = quote_ident(name)
        reading = readings.get(name)
        if duckdb_type(mysql_type) == "VARCHAR":
            reading = None  # text keeps its values as written
        if reading is not None:
            column = f"({normalized(column, reading)})"
        casts[name] = cast_expression(
            column,
            raw_types[name],
            mysql_type,
            inferred=name in inferred,
            trimmed_text=reading is not None and gives_trimmed_text(reading),
        )
    create_relation_view(con, staged, casts)


def _typed_readings(
    readings: Mapping[str, ValueReading],
    types: Mapping[str, str],
    stats: Mapping[str, dict[str, Any]],
) -> dict[str, ValueReading]:
    """The readings of the columns they gave a type (with the markers found); the counts of
    those columns become the counts of the values as read (markers are NULL)."""
    kept = {}
    for name, reading in readings.items():
        if duckdb_type(types[name]) == "VARCHAR":
            continue
        column = stats[name]
        missing = {str(k): int(v) for k, v in (column.get("missing") or {}).items()}
        if "typed_values" in column:
            column["values"] = column["typed_values"]
        if "" in reading.null_markers:
            column["empty"] = 0
        if missing or reading.format is not None:
            kept[name] = reading.model_copy(update={"missing": missing})
    return kept


def _prefixed(name: str, notes: Collection[str]) -> list[str]:
    return [f"{name}: {text}" for text in notes]


def _reads_as_text(staged: StagedRelation, duck_type: str) -> bool:
    """Text columns get pattern inference; Parquet strings are strings by the file's own types."""
    return native_kind(duck_type) == "varchar" and staged.format != "parquet"


# --- measuring -------------------------------------------------------------------------------


def _first_values(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    text: list[str],
    readings: Mapping[str, ValueReading] | None = None,
) -> dict[str, list[str | None]]:
    """Per text column, its values in the first records (which choose the counts to take);
    a column with a reading gives them as read."""
    if not text:
        return {}
    readings = readings or {}
    select = ", ".join(
        normalized(quote_ident(name), readings[name]) if name in readings else quote_ident(name)
        for name in text
    )
    rows = con.execute(
        f"SELECT {select} FROM {quote_ident(staged.raw_relation)} "
        f"WHERE {_first_records(staged, FAMILY_SAMPLE)} ORDER BY __record LIMIT {FAMILY_SAMPLE}"
    ).fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(text)}


def _day_month_choices(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    choices: Mapping[str, Choice],
    markers: tuple[str, ...],
) -> dict[str, Choice]:
    """The readings of the columns of ``31/01/2015``-or-``01/31/2015`` dates, their order
    decided by the whole column in one pass over every such column."""
    pending = [name for name, choice in choices.items() if choice.day_month]
    if not pending:
        return {}
    measures = {name: day_month_measures(quote_ident(name), markers) for name in pending}
    counts = _aggregate(con, staged, measures)[1]
    return {name: day_month_choice(choices[name], counts[name]) for name in pending}


def _first_records(staged: StagedRelation, count: int) -> str:
    """A filter keeping the first ``count`` records: numbers skip only rejected records."""
    return f"__record <= {int(count) + len(staged.rejects)}"


def _sql(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def _cut(expression: str, limit: int) -> str:
    return f"left(CAST({expression} AS VARCHAR), {limit})"


def _leading_zeros(c: str) -> str:
    """Count of values with a leading zero; the pattern only runs where the first character
    can start one (a space, sign or ``0``), which is cheaper and counts the same."""
    return (
        f"count_if(CASE WHEN ascii({c}) IN (9, 10, 11, 12, 13, 32, 43, 45, 48) "
        f"THEN regexp_full_match({c}, {_sql(LEADING_ZERO_PATTERN)}) ELSE false END)"
    )


def _base_measures(c: str, limit: int) -> dict[str, str]:
    """Aggregates every text column gets."""
    return {
        "values": f"count({c})",
        "empty": f"count_if({c} = '')",
        "max_length": f"max(length({c}))",
        "distinct": f"approx_count_distinct({c})",
        "min": _cut(f"min({c})", limit),
        "max": _cut(f"max({c})", limit),
    }


def _text_measures(
    c: str, families: tuple[str, ...], limit: int, read: str | None = None
) -> dict[str, str]:
    """Aggregates for a text column: the base ones, then those of each family to confirm.

    ``read``: the column's values as read (a projection, see :func:`_aggregate`); the family
    counts are taken on it, and ``typed_values`` counts its values.
    """
    measures = _base_measures(c, limit) | {"leading_zeros": _leading_zeros(c)}
    if read is not None:
        measures["typed_values"] = f"count({read})"
        c = read
    if "boolean" in families:
        measures["booleans"] = _booleans(c)
    if "number" in families:
        is_integer = f"regexp_full_match({c}, {_sql(INTEGER_PATTERN)})"
        is_fixed = f"regexp_full_match({c}, {_sql(FIXED_PATTERN)})"
        measures |= {
            "integers": f"count_if({is_integer})",
            "fixed": f"count_if({is_fixed})",
            "floats": _floats(c),
            "integer_min": f"min(TRY_CAST({c} AS HUGEINT)) FILTER (WHERE {is_integer})",
            "integer_max": f"max(TRY_CAST({c} AS HUGEINT)) FILTER (WHERE {is_integer})",
            "integer_digits": (
                f"max(length(ltrim(split_part(ltrim(trim({c}), '+-'), '.', 1), '0'))) "
                f"FILTER (WHERE {is_fixed})"
            ),
            "scale": f"max(length(split_part(trim({c}), '.', 2))) FILTER (WHERE {is_fixed})",
            **_number_bounds(c, limit),
        }
    if "temporal" in families:
        is_datetime = f"regexp_full_match({c}, {_sql(DATETIME_PATTERN)})"
        measures |= {
            "dates": _dates(c),
            "datetimes": _datetimes(c),
            "fraction_digits": (
                f"max(length(regexp_extract({c}, '\\.([0-9]+)', 1))) FILTER (WHERE {is_datetime})"
            ),
            "utc": _utc(c),
            **_temporal_bounds(c, limit),
        }
    if "json" in families:
        measures["json"] = _json(c)
    return measures


def _guess_measures(c: str, guess: str, limit: int) -> dict[str, str]:
    """Aggregates confirming one guessed type over the whole column (see ``confirm_guess``).

    A confirmed number or date shows its typed min/max, not the text ones, and no guess but
    text is confirmed with empty strings (which match no pattern).
    """
    measures = _base_measures(c, limit)
    if guess not in ("string", "leading_zeros"):
        del measures["empty"]
    if guess in ("integer", "decimal", "double", "date", "datetime"):
        del measures["min"], measures["max"]
    if guess in ("string", "leading_zeros", "double"):
        measures["leading_zeros"] = _leading_zeros(c)
    if guess == "boolean":
        measures["booleans"] = _booleans(c)
    elif guess == "integer":
        as_bigint = f"TRY_CAST({c} AS BIGINT)"
        measures |= {
            # A value that is its BIGINT's text is an integer without a leading zero, and the
            # only text of that number: the text of the least BIGINT is the least value.
            "canonical_integers": f"count_if(CAST({as_bigint} AS VARCHAR) = {c})",
            "number_low": f"min({as_bigint})",
            "number_high": f"max({as_bigint})",
            "number_min": _cut(f"min({as_bigint})", limit),
            "number_max": _cut(f"max({as_bigint})", limit),
        }
    elif guess == "decimal":
        as_double = f"TRY_CAST({c} AS DOUBLE)"
        point = f"strpos({c}, '.')"
        measures |= {
            "plain_fixed": f"count_if(regexp_full_match({c}, {_sql(PLAIN_FIXED_PATTERN)}))",
            "numbers": f"count({as_double})",
            "points": f"count_if({point} > 0)",
            "magnitude": f"max(abs({as_double}))",
            "scale": f"max(CASE WHEN {point} > 0 THEN length({c}) - {point} ELSE 0 END)",
            **_number_bounds(c, limit),
        }
    elif guess == "double":
        measures |= {
            "floats": _floats(c),
            "exponents": f"count_if(contains({c}, 'e') OR contains({c}, 'E'))",
            **_number_bounds(c, limit),
        }
    elif guess == "date":
        measures |= {"dates": _dates(c), **_temporal_bounds(c, limit)}
    elif guess == "datetime":
        measures |= {
            "datetimes": _datetimes(c),
            "times": f"count_if(contains({c}, ':'))",
            "fraction_digits": (
                f"max(CASE WHEN contains({c}, '.') "
                f"THEN length(regexp_extract({c}, '\\.([0-9]+)', 1)) ELSE 0 END)"
            ),
            "utc": _utc(c),
            **_temporal_bounds(c, limit),
        }
    elif guess == "json":
        measures["json"] = _json(c)
    return measures


def _booleans(c: str) -> str:
    return f"count_if(lower(trim({c})) IN ('true', 'false'))"


def _floats(c: str) -> str:
    return (
        f"count_if(regexp_full_match({c}, {_sql(FLOAT_PATTERN)}) "
        f"AND isfinite(TRY_CAST({c} AS DOUBLE)))"
    )


def _dates(c: str) -> str:
    return (
        f"count_if(regexp_full_match({c}, {_sql(DATE_PATTERN)}) "
        f"AND TRY_CAST({trimmed(c)} AS DATE) IS NOT NULL)"
    )


def _datetimes(c: str) -> str:
    """Date-times; a value that is its TIMESTAMP's 19-character text (``YYYY-MM-DD HH:MM:SS``)
    is one without running the pattern."""
    as_timestamp = f"TRY_CAST({trimmed(c)} AS TIMESTAMP)"
    return (
        f"count_if(CASE WHEN length({c}) = 19 AND CAST({as_timestamp} AS VARCHAR) = {c} "
        f"THEN true ELSE regexp_full_match({c}, {_sql(DATETIME_PATTERN)}) "
        f"AND {as_timestamp} IS NOT NULL END)"
    )


def _utc(c: str) -> str:
    """Values ending in ``Z``; the pattern only runs on values holding one."""
    return (
        f"count_if(CASE WHEN contains({c}, 'Z') THEN regexp_matches({c}, 'Z\\s*$') ELSE false END)"
    )


def _number_bounds(c: str, limit: int) -> dict[str, str]:
    as_double = f"TRY_CAST({c} AS DOUBLE)"
    return {
        "number_min": _cut(f"arg_min({c}, {as_double})", limit),
        "number_max": _cut(f"arg_max({c}, {as_double})", limit),
    }


def _temporal_bounds(c: str, limit: int) -> dict[str, str]:
    # Shown only for a DATE or DATETIME column, whose values all match the pattern ``trimmed``
    # asks for (as do the values the date counts cast).
    as_timestamp = f"TRY_CAST({trimmed(c)} AS TIMESTAMP)"
    return {
        "temporal_min": _cut(f"arg_min({c}, {as_timestamp})", limit),
        "temporal_max": _cut(f"arg_max({c}, {as_timestamp})", limit),
    }


def _json(c: str) -> str:
    return f"count_if(left(ltrim({c}), 1) IN ('{{', '[') AND json_valid({c}))"


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
            "leading_zeros": _leading_zeros(c),
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
    guesses: Mapping[str, str | None],
    readings: Mapping[str, ValueReading],
    markers: tuple[str, ...],
    limit: int,
) -> tuple[int, dict[str, dict[str, Any]], dict[str, ValueReading]]:
    """Row count and per-column statistics: one pass, and a second for unconfirmed guesses;
    and the readings the counts were taken with.

    A column with a reading is counted as read (markers NULL, formats normalised), through a
    projection. A column counted with every family's counts (no guess, or a guess the first
    pass did not confirm) is also read with the markers, which the first records may not show.
    """
    readings = dict(readings)
    markers_only = ValueReading(null_markers=list(markers)) if markers else None

    def full(name: str) -> dict[str, str]:
        if name not in readings and markers_only is not None:
            readings[name] = markers_only
        c = quote_ident(name)
        read = _read_alias(name, staged) if name in readings else None
        return _text_measures(c, families[name], limit, read) | _missing(name, readings)

    measures: dict[str, dict[str, str]] = {}
    for name, _ in staged.columns:
        c = quote_ident(name)
        if name not in families:
            measures[name] = _native_measures(c, raw_types[name], limit)
        elif (guessed := guesses[name]) is not None:
            # Text is measured as written: a column that stays text keeps its markers.
            as_read = name in readings and guessed not in ("string", "leading_zeros")
            read = _read_alias(name, staged) if as_read else c
            measures[name] = _guess_measures(read, guessed, limit)
            if as_read:
                measures[name] |= _missing(name, readings)
        else:
            measures[name] = full(name)
    row_count, stats = _aggregate(con, staged, measures, _projections(staged, readings, measures))
    unconfirmed: dict[str, dict[str, str]] = {}
    for name, guess in guesses.items():
        if guess is None:
            continue
        confirmed = confirm_guess(guess, stats[name])
        if confirmed is None:
            unconfirmed[name] = full(name)
        else:
            stats[name] = confirmed
    if unconfirmed:
        projections = _projections(staged, readings, unconfirmed)
        stats |= _aggregate(con, staged, unconfirmed, projections)[1]
    for name, column in stats.items():
        if name in readings and "" in readings[name].null_markers:
            column["empty_is_missing"] = True
    return row_count, stats, readings


def _read_alias(name: str, staged: StagedRelation) -> str:
    """The projected name of a column's values as read (staged names never start with _)."""
    return quote_ident(f"__read_{[n for n, _ in staged.columns].index(name)}")


def _missing(name: str, readings: Mapping[str, ValueReading]) -> dict[str, str]:
    reading = readings.get(name)
    if reading is None or not reading.null_markers:
        return {}
    return {"missing": missing_measure(quote_ident(name), reading.null_markers)}


def _projections(
    staged: StagedRelation,
    readings: Mapping[str, ValueReading],
    measures: Mapping[str, Mapping[str, str]],
) -> dict[str, str]:
    """Alias -> SQL of the values as read, for the measured columns counted as read."""
    aliases = {name: _read_alias(name, staged) for name in measures if name in readings}
    return {
        alias: normalized(quote_ident(name), readings[name])
        for name, alias in aliases.items()
        if any(alias in sql for sql in measures[name].values())
    }


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    measures: Mapping[str, Mapping[str, str]],
    projections: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Row count and the named aggregates of each column, in one pass over the raw relation
    (with ``projections``, alias -> SQL, computed once per record for the aggregates)."""
    keys = [(name, key) for name, named in measures.items() for key in named]
    select = ["count(*)", *(measures[name][key] for name, key in keys)]
    source = quote_ident(staged.raw_relation)
    if projections:
        extra = ", ".join(f"{sql} AS {alias}" for alias, sql in projections.items())
        source = f"(SELECT *, {extra} FROM {source})"
    row = con.execute(f"SELECT {', '.join(select)} FROM {source}").fetchone()
    assert row is not None
    stats: dict[str, dict[str, Any]] = {name: {} for name in measures}
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
    reading: ValueReading | None = None,
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
        reading=reading,
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
        f"WHERE {_first_records(staged, count)} ORDER BY __record LIMIT {int(count)}"
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
    wanted = MAX_KEYS - 1 if structural else MAX_KEYS
    keys = [[name] for name in _unique_columns(con, relation, singles, row_count, wanted)]
    if structural:
        return [*keys, list(structural)]
    if keys:
        return keys
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
    unique = (pair for pair in likely if _unique(con, relation, pair, row_count))
    return list(itertools.islice(unique, MAX_KEYS))


def _unique_columns(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str], row_count: int, wanted: int
) -> list[str]:
    """The first ``wanted`` of ``names`` (in their order) whose values are all distinct.

    The first records show which of the first ``wanted`` may rise or fall throughout (checked in
    one streaming pass) and which repeat a value already (not unique); the rest are counted.
    """
    first = _first_keys(con, relation, names[:wanted])
    repeated = {name for name, values in first.items() if len(set(values)) < len(values)}
    monotonic = [name for name, values in first.items() if _strictly_monotonic(values)]
    counted = [name for name in first if name not in repeated and name not in monotonic]
    # The streaming pass runs on one thread: count the other first columns meanwhile.
    cursor = con.cursor()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            streamed = pool.submit(_strictly_ordered, cursor, relation, monotonic, row_count)
            unique = {name: _unique(con, relation, [name], row_count) for name in counted}
            ordered = streamed.result()
    finally:
        cursor.close()
    found: list[str] = []
    for name in names:
        if len(found) == wanted:
            break
        if name in repeated:
            continue
        if name not in unique:
            unique[name] = name in ordered or _unique(con, relation, [name], row_count)
        if unique[name]:
            found.append(name)
    return found


def _first_keys(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str]
) -> dict[str, list[Any]]:
    """The typed values of the first records (a prefix of the relation, in record order)."""
    if not names:
        return {}
    rows = con.execute(
        f"SELECT {', '.join(quote_ident(name) for name in names)} FROM {quote_ident(relation)} "
        f"WHERE __record <= {FAMILY_SAMPLE} ORDER BY __record"
    ).fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _strictly_monotonic(values: list[Any]) -> bool:
    if None in values:
        return False
    pairs = list(itertools.pairwise(values))
    return all(a < b for a, b in pairs) or all(a > b for a, b in pairs)


def _strictly_ordered(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str], row_count: int
) -> set[str]:
    """Columns with a value in every row that strictly rise (or fall) from each row to the next
    as DuckDB streams them: their values are all distinct. One cheap streaming pass settles
    the usual ``id`` columns; the others are counted by :func:`_unique`."""
    if not names:
        return set()
    inner = ", ".join(
        f"{quote_ident(name)} AS v{i}, lag({quote_ident(name)}) OVER () AS p{i}"
        for i, name in enumerate(names)
    )
    outer = ", ".join(
        f"count(v{i}), count_if(v{i} <= p{i}), count_if(v{i} >= p{i})" for i in range(len(names))
    )
    row = con.execute(
        f"SELECT {outer} FROM (SELECT {inner} FROM {quote_ident(relation)})"
    ).fetchone()
    assert row is not None
    return {
        name
        for i, name in enumerate(names)
        if row[3 * i] == row_count and 0 in (row[3 * i + 1], row[3 * i + 2])
    }


def _unique(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str], row_count: int
) -> bool:
    select = ", ".join(quote_ident(name) for name in names)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT {select} FROM {quote_ident(relation)})"
    ).fetchone()
    return row is not None and row[0] == row_count
