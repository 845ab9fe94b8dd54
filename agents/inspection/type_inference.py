"""The rules that turn what a column holds into a MySQL type, and MySQL types into DuckDB casts.

Profiling measures; this module decides. Text (CSV, XLSX, JSON strings) is typed by patterns that
every non-NULL value must match — counted over the whole column, never a sample (the first records
only guess which counts are worth taking; see :func:`confirm_guess`):

============  ==================================================================================
BOOLEAN       ``true``/``false``, any case (``0``/``1`` stay integers)
TINYINT..     integers (``[+-]digits``), the smallest signed type holding min and max; wider than
BIGINT        BIGINT: ``DECIMAL(digits,0)``
DECIMAL(p,s)  fixed-point (``12.50``, ``.5``): s = most digits after the point, p = s + most
              digits before it (leading zeros not counted); p <= 38 (DuckDB's limit, MySQL allows
              65), else the column stays text
DOUBLE        other finite numbers, e.g. with exponents (``1e5``); ``inf`` text stays text
DATE          ISO ``YYYY-MM-DD`` (a valid day)
DATETIME(f)   ISO date, ``T`` or space, ``HH:MM``, optional ``:SS`` and up to 6 fraction digits
              (f = the most present, omitted for 0), optional ``Z`` (read as UTC); date-only
              values may be mixed in; a UTC offset such as ``+02:00`` keeps the column text
JSON          every value a JSON object or array
VARCHAR(n)    anything else: n = max(16, next power of two >= 1.25 x longest), at most 1024
TEXT          longest value > 1024 characters (MEDIUMTEXT / LONGTEXT when 4 bytes per character
              would not fit TEXT's 65,535 bytes)
============  ==================================================================================

Profiling counts the values as read (:mod:`~agents.inspection.value_formats`): missing-value
markers such as ``NA`` and ``NaN`` are NULL in a column of numbers, dates or booleans, and slash
or dotted dates, dates with month names, decimal commas, thousands separators and percentages are
normalised to the forms above first.

Surrounding spaces are allowed in numbers, booleans and dates (the casts trim them). A value
with a leading zero (``007``, ``01.5``, not ``0`` or ``0.5``) keeps the column text and sets
``leading_zeros``. An empty string ``""`` matches no pattern: it is a missing-value marker by
default; where it is not one it keeps a column text (the profile's note says what
``NULLIF(col, '')`` would give instead).
A column with no values at all is ``VARCHAR(16)``.

Typed sources (Parquet, JSON numbers and booleans) keep their types; integers are narrowed by
their min/max, NaN and infinities become NULL (noted), nested values are JSON.

Rows must fit MySQL's 65,535-byte limit: VARCHAR(n) counts 4n bytes (utf8mb4) plus its length
bytes; the largest VARCHARs (the rightmost first among equals) become TEXT until the row fits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.errors import AgentError

INTEGER_PATTERN = r"\s*[+-]?[0-9]+\s*"
FIXED_PATTERN = r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*"
FLOAT_PATTERN = r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*"
LEADING_ZERO_PATTERN = r"\s*[+-]?0[0-9]+(\.[0-9]*)?\s*"
DATE_PATTERN = r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*"
DATETIME_PATTERN = (
    r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?Z?)?\s*"
)
UTC_OFFSET_PATTERN = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*[+-][0-9]{2}(:?[0-9]{2})?\s*$"

VARCHAR_MIN = 16
VARCHAR_MAX = 1024
ROW_LIMIT = 65_535
TEXT_BYTES = 65_535
MEDIUMTEXT_BYTES = 16_777_215
DECIMAL_MAX_PRECISION = 38

_INTEGER_RANGES = (
    ("TINYINT", -(2**7), 2**7 - 1),
    ("SMALLINT", -(2**15), 2**15 - 1),
    ("INT", -(2**31), 2**31 - 1),
    ("BIGINT", -(2**63), 2**63 - 1),
)

Stats = Mapping[str, Any]
"""A column's statistics, aggregate name -> value. ``Any``: the values are DuckDB's, whose result
rows are untyped (``fetchone() -> tuple[Any, ...]``): counts, bounds of the column's own type, or
None."""

# --- families of text values (a sample picks which whole-column checks to run) ----------------

FAMILIES = ("boolean", "number", "temporal", "json")


def value_family(value: str) -> str | None:
    """The family of one text value: a family name, ``"string"``, or None for ``""``."""
    if value == "":
        return None
    if value.strip().lower() in ("true", "false"):
        return "boolean"
    if re.fullmatch(FLOAT_PATTERN, value):
        return "number"
    if re.fullmatch(DATETIME_PATTERN, value):
        return "temporal"
    if value.lstrip()[:1] in ("{", "["):
        return "json"
    return "string"


def families_to_check(values: Sequence[str | None]) -> tuple[str, ...]:
    """Which families a column's sample leaves possible: none once a plain string is seen."""
    families = (value_family(value) for value in values if value is not None)
    seen = {family for family in families if family is not None}
    if "string" in seen or len(seen) > 1:
        return ()
    return tuple(seen) if seen else FAMILIES


# --- a guess from the first records, confirmed over the whole column --------------------------

GUESSES = (
    "string",
    "leading_zeros",
    "boolean",
    "integer",
    "decimal",
    "double",
    "date",
    "datetime",
    "json",
)
PLAIN_FIXED_PATTERN = r"-?(([1-9][0-9]*|0)(\.[0-9]*)?|\.[0-9]+)"
"""Fixed-point text without spaces, ``+`` or a leading zero: its scale is its length after the
point (the values of ``FIXED_PATTERN`` without those)."""


def guess_text_type(values: Sequence[str | None], families: Sequence[str]) -> str | None:
    """What the first records of a text column suggest it is (one of :data:`GUESSES`), or None
    when they suggest nothing worth confirming alone (no values, empty strings, mixed families).

    ``families`` are the values' :func:`families_to_check`. A guess only picks which
    whole-column counts to take; :func:`confirm_guess` decides.
    """
    if not families:
        return "string"
    present = [value for value in values if value is not None]
    if len(families) > 1 or "" in present:
        return None
    family = families[0]
    if family == "number":
        if any(re.fullmatch(LEADING_ZERO_PATTERN, value) for value in present):
            return "leading_zeros"
        if all(re.fullmatch(INTEGER_PATTERN, value) for value in present):
            return "integer"
        if all(re.fullmatch(FIXED_PATTERN, value) for value in present):
            return "decimal"
        return "double"
    if family == "temporal":
        return "datetime" if any(":" in value for value in present) else "date"
    return family


def confirm_guess(guess: str, stats: Stats) -> dict[str, Any] | None:
    """Whole-column statistics of a guessed text column in the vocabulary of
    :func:`infer_text_type`, if they prove the type the guess stands for; None if they do not
    (then every count of the column's families is taken and decides).

    Each guess is confirmed by counts over every value, so that the type is the one all the
    pattern counts would give (writing V for the non-NULL values):

    * ``boolean``, ``date``, ``json``: every value matches the pattern (such values match no
      other pattern, nor the leading-zero one);
    * ``integer``: every value is the text DuckDB gives its BIGINT (an integer without a leading
      zero, spaces or ``+``, and the only text of its number, so the least value is the least
      BIGINT's text), min/max fit a type and lie within 2**53 (where DOUBLEs, which order the
      bounds the full counts show, are exact);
    * ``decimal``: every value is plain fixed-point without a leading zero
      (``PLAIN_FIXED_PATTERN``, so the scale is the length after the point), at least one has a
      point (so not all are integers), and the digits before the point follow exactly from the
      largest magnitude (not within rounding of a power of ten) — precision at most 38;
    * ``double``: every value is a finite float, one has an exponent (so not all are
      fixed-point), none has a leading zero;
    * ``datetime``: every value is a date-time, one has a time (so not all are dates);
    * ``string``: the first records hold a value no pattern matches, so the column is text;
    * ``leading_zeros``: a value has a leading zero, which keeps the column text.

    A value with a leading zero refutes a number guess (the column is text, and a typed guess
    does not take the text statistics: min/max as text, empty strings).
    """
    values = int(stats["values"])

    def count(key: str) -> int:
        return int(stats.get(key) or 0)

    def every(key: str) -> bool:
        return values > 0 and count(key) == values

    if guess in ("string", "leading_zeros"):
        # Text either way; a leading zero only has to be seen to keep a number-like column text.
        return dict(stats) if guess == "string" or count("leading_zeros") else None
    if count("leading_zeros"):
        return None  # a number guess: its counts leave out what a text column reports
    if guess in ("boolean", "date", "json"):
        key = {"boolean": "booleans", "date": "dates", "json": "json"}[guess]
        return dict(stats) if every(key) else None
    if guess == "integer":
        low, high = (_exact_integer(stats.get(key)) for key in ("number_low", "number_high"))
        if low is None or high is None or not every("canonical_integers"):
            return None
        integers = {"integers": values, "integer_min": low, "integer_max": high}
        return {**stats, **integers} if integer_type(low, high) is not None else None
    if guess == "decimal":
        digits = _digits_before_point(stats.get("magnitude"))
        if digits is None or not (every("plain_fixed") and every("numbers") and count("points")):
            return None
        fixed = {**stats, "fixed": values, "integer_digits": digits}
        return fixed if _decimal_size(fixed)[0] <= DECIMAL_MAX_PRECISION else None
    if guess == "double":
        return dict(stats) if every("floats") and count("exponents") else None
    if guess == "datetime":
        return dict(stats) if every("datetimes") and count("times") else None
    return None  # "leading_zeros" without one, or nothing to confirm


def _exact_integer(number: int | None) -> int | None:
    """An integer within 2**53 (so exact as a DOUBLE), else None."""
    if number is None or not abs(int(number)) <= 2**53:
        return None
    return int(number)


def _digits_before_point(magnitude: float | None) -> int | None:
    """Digits of the whole part of the largest |value| (leading zeros not counted), from its
    DOUBLE; None when the DOUBLE is within rounding of a power of ten (or not finite)."""
    if magnitude is None:
        return None
    largest = float(magnitude)
    if not math.isfinite(largest):
        return None
    for power in range(DECIMAL_MAX_PRECISION + 2):
        if abs(largest - 10.0**power) <= 1e-9 * 10.0**power:
            return None
    return 0 if largest < 1 else len(str(int(largest)))


# --- the decision ------------------------------------------------------------------------------


@dataclass
class Inferred:
    """A column's type and what the person should know about it."""

    type: str
    leading_zeros: bool = False
    notes: list[str] = field(default_factory=list)


def infer_text_type(name: str, stats: Stats) -> Inferred:
    """The type of a text column from whole-column counts (see profiling for their names).

    ``typed_values``, when present, counts the values as read (missing-value markers NULL,
    formats normalised): the pattern counts were taken on those, the other counts on the text.
    """
    values = int(stats["values"])
    typed = int(stats.get("typed_values", values))
    if values == 0:
        return Inferred("VARCHAR(16)", notes=[f"{name}: no values (all NULL)"])
    if int(stats.get("leading_zeros") or 0):
        return Inferred(
            varchar_type(int(stats["max_length"] or 0)),
            leading_zeros=True,
            notes=[f"{name}: values with leading zeros (e.g. 007) are kept as text"],
        )
    candidate = _matching_type(stats, typed)
    if candidate is not None:
        return Inferred(candidate, notes=_utc_note(name, stats, candidate))
    inferred = Inferred(varchar_type(int(stats["max_length"] or 0)))
    empty = int(stats.get("empty") or 0)
    if empty and not stats.get("empty_is_missing"):
        without = _matching_type(stats, typed - empty)
        if without is not None:
            inferred.notes.append(
                f"{name}: {empty} empty string(s) keep it text; "
                f"NULLIF({name}, '') would make it {without}"
            )
    if int(stats.get("fixed") or 0) == typed and _decimal_size(stats)[0] > DECIMAL_MAX_PRECISION:
        inferred.notes.append(f"{name}: more than {DECIMAL_MAX_PRECISION} digits, kept as text")
    return inferred


def _decimal_size(stats: Stats) -> tuple[int, int]:
    """(precision, scale) of the fixed-point values: digits after the point, plus before it."""
    scale = int(stats.get("scale") or 0)
    return max(int(stats.get("integer_digits") or 0) + scale, scale, 1), scale


def _matching_type(stats: Stats, values: int) -> str | None:
    """The narrowest type whose pattern all ``values`` non-NULL values match, if any."""

    def all_(key: str) -> bool:
        return values > 0 and int(stats.get(key) or 0) == values

    if all_("booleans"):
        return "BOOLEAN"
    if all_("integers"):
        integer = integer_type(stats.get("integer_min"), stats.get("integer_max"))
        if integer is not None:
            return integer
    if all_("fixed"):
        precision, scale = _decimal_size(stats)
        return f"DECIMAL({precision},{scale})" if precision <= DECIMAL_MAX_PRECISION else None
    if all_("floats"):
        return "DOUBLE"
    if all_("dates"):
        return "DATE"
    if all_("datetimes"):
        fraction = int(stats.get("fraction_digits") or 0)
        return f"DATETIME({fraction})" if fraction else "DATETIME"
    if all_("json"):
        return "JSON"
    return None


def _utc_note(name: str, stats: Stats, type_: str) -> list[str]:
    if type_.startswith("DATETIME") and int(stats.get("utc") or 0):
        return [f"{name}: times ending in Z are read as UTC"]
    return []


def integer_type(low: int | None, high: int | None) -> str | None:
    """The smallest signed integer type holding [low, high]; DECIMAL(n,0) beyond BIGINT."""
    if low is None or high is None:
        return None
    low_, high_ = int(low), int(high)
    for name, minimum, maximum in _INTEGER_RANGES:
        if minimum <= low_ and high_ <= maximum:
            return name
    digits = max(len(str(abs(low_))), len(str(abs(high_))))
    return f"DECIMAL({digits},0)" if digits <= DECIMAL_MAX_PRECISION else None


def varchar_type(max_length: int) -> str:
    """VARCHAR(n) with headroom, or the TEXT type that holds ``max_length`` characters."""
    if max_length > VARCHAR_MAX:
        if max_length * 4 <= TEXT_BYTES:
            return "TEXT"
        return "MEDIUMTEXT" if max_length * 4 <= MEDIUMTEXT_BYTES else "LONGTEXT"
    wanted = max(VARCHAR_MIN, 1 << max(0, math.ceil(1.25 * max_length) - 1).bit_length())
    return f"VARCHAR({max(max_length, min(wanted, VARCHAR_MAX))})"


def native_kind(duck_type: str) -> str:
    """What a DuckDB type is, for typing and casting: integer, decimal, float, boolean, ..."""
    upper = duck_type.upper()
    if upper.endswith("]") or upper.startswith(("STRUCT", "MAP", "UNION")):
        return "nested"
    if re.fullmatch(r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?", upper):
        return "integer"
    if upper.startswith("DECIMAL"):
        return "decimal"
    if upper in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if upper == "BOOLEAN":
        return "boolean"
    if upper == "DATE":
        return "date"
    if upper == "TIMESTAMP WITH TIME ZONE":
        return "timestamptz"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    if upper.startswith("TIME"):
        return "time"
    if upper == "VARCHAR":
        return "varchar"
    if upper == "BLOB":
        return "blob"
    if upper == "JSON":
        return "json"
    return "other"


def infer_native_type(name: str, duck_type: str, stats: Stats) -> Inferred:
    """The MySQL type of a typed (Parquet/JSON) column from its DuckDB type and statistics."""
    kind = native_kind(duck_type)
    values = int(stats["values"])
    notes: list[str] = []
    non_finite = int(stats.get("non_finite") or 0)
    if non_finite:
        notes.append(
            f"{name}: {non_finite} NaN/Infinity value(s) become NULL (MySQL cannot store them)"
        )
    if kind == "integer":
        type_ = integer_type(stats.get("min"), stats.get("max")) if values else None
        return Inferred(type_ or ("INT" if not values else "VARCHAR(64)"), notes=notes)
    if kind == "decimal":
        return Inferred(duck_type.upper(), notes=notes)
    if kind == "float":
        return Inferred(
            "FLOAT" if duck_type.upper() in ("FLOAT", "REAL") else "DOUBLE", notes=notes
        )
    if kind == "boolean":
        return Inferred("BOOLEAN")
    if kind == "date":
        return Inferred("DATE")
    if kind in ("timestamp", "timestamptz"):
        if kind == "timestamptz":
            notes.append(f"{name}: timestamps with time zone are converted to UTC")
        return Inferred(
            "DATETIME(6)" if int(stats.get("fractions") or 0) else "DATETIME", notes=notes
        )
    if kind == "time":
        return Inferred("TIME")
    if kind == "blob":
        return Inferred("BLOB" if int(stats.get("max_length") or 0) <= 65_535 else "LONGBLOB")
    if kind in ("nested", "json"):
        return Inferred("JSON")
    return Inferred(
        varchar_type(int(stats.get("max_length") or 0)),
        leading_zeros=bool(int(stats.get("leading_zeros") or 0)),
    )


# --- row size ------------------------------------------------------------------------------


def row_bytes(mysql_type: str) -> int:
    """Bytes a column takes toward MySQL's row-size limit (utf8mb4: 4 bytes per character)."""
    base, args = parse_type(mysql_type)
    if base in ("VARCHAR", "CHAR", "VARBINARY", "BINARY"):
        per_char = 1 if "BINARY" in base else 4
        length = (args[0] if args else 1) * per_char
        return length + (0 if base in ("CHAR", "BINARY") else 1 if length <= 255 else 2)
    if base in ("DECIMAL", "NUMERIC"):
        precision = args[0] if args else 10
        return precision // 2 + 1
    fixed = {
        "TINYINT": 1,
        "BOOLEAN": 1,
        "BOOL": 1,
        "SMALLINT": 2,
        "MEDIUMINT": 3,
        "INT": 4,
        "INTEGER": 4,
        "BIGINT": 8,
        "FLOAT": 4,
        "DOUBLE": 8,
        "REAL": 8,
        "DATE": 3,
        "TIME": 6,
        "YEAR": 1,
        "DATETIME": 8,
        "TIMESTAMP": 7,
    }
    return fixed.get(base, 12)  # TEXT, BLOB, JSON: a pointer of 9-12 bytes


def fit_row_size(types: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Types with the largest VARCHARs made TEXT until a row fits; and the names changed."""
    fitted = dict(types)
    changed: list[str] = []
    order = list(types)
    while sum(row_bytes(type_) for type_ in fitted.values()) > ROW_LIMIT:
        varchars = [
            (parse_type(type_)[1][0], order.index(name), name)
            for name, type_ in fitted.items()
            if parse_type(type_)[0] == "VARCHAR"
        ]
        if not varchars:
            break
        _, _, name = max(varchars)
        fitted[name] = "TEXT"
        changed.append(name)
    return fitted, changed


# --- MySQL types in DuckDB -------------------------------------------------------------------


def parse_type(mysql_type: str) -> tuple[str, list[int]]:
    """``decimal(10, 2)`` -> (``DECIMAL``, [10, 2]); ``INT UNSIGNED`` -> (``INT UNSIGNED``, [])."""
    match = re.fullmatch(
        r"\s*([A-Za-z ]+?)\s*(?:\(([\d\s,]*)\))?\s*((?:UNSIGNED|SIGNED)?)\s*", mysql_type, re.I
    )
    if not match:
        raise AgentError(f"not a MySQL type: {mysql_type!r}")
    base = " ".join(match.group(1).upper().split())
    if match.group(3):
        base = f"{base} {match.group(3).upper()}".replace(" SIGNED", "")
    args = [int(part) for part in (match.group(2) or "").split(",") if part.strip()]
    return base, args


_DUCK_TYPES = {
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "MEDIUMINT": "INTEGER",
    "INT": "INTEGER",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "TINYINT UNSIGNED": "UTINYINT",
    "SMALLINT UNSIGNED": "USMALLINT",
    "MEDIUMINT UNSIGNED": "UINTEGER",
    "INT UNSIGNED": "UINTEGER",
    "INTEGER UNSIGNED": "UINTEGER",
    "BIGINT UNSIGNED": "UBIGINT",
    "YEAR": "SMALLINT",
    "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "DOUBLE PRECISION": "DOUBLE",
    "REAL": "DOUBLE",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "TIME": "TIME",
}
_STRING_TYPES = {
    "CHAR",
    "VARCHAR",
    "TINYTEXT",
    "TEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "JSON",
    "ENUM",
    "SET",
}
_BINARY_TYPES = {"BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"}


def duckdb_type(mysql_type: str) -> str:
    """The DuckDB type that holds values of a MySQL type."""
    base, args = parse_type(mysql_type)
    if base in ("DECIMAL", "NUMERIC", "DEC", "FIXED"):
        precision = args[0] if args else 10
        scale = args[1] if len(args) > 1 else 0
        if precision > DECIMAL_MAX_PRECISION:
            raise AgentError(f"{mysql_type}: DuckDB decimals hold at most 38 digits")
        return f"DECIMAL({precision},{scale})"
    if base in _DUCK_TYPES:
        return _DUCK_TYPES[base]
    if base in _STRING_TYPES or base.split(" ")[0] in _STRING_TYPES:
        return "VARCHAR"
    if base in _BINARY_TYPES:
        return "BLOB"
    raise AgentError(f"unsupported MySQL type: {mysql_type!r}")


def _sql(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def _matches(column: str, pattern: str) -> str:
    return f"regexp_full_match({column}, {_sql(pattern)})"


def _when(condition: str, value: str) -> str:
    return f"CASE WHEN {condition} THEN {value} END"


def cast_expression(
    column: str,
    raw_type: str,
    mysql_type: str,
    *,
    inferred: bool = False,
    trimmed_text: bool = False,
) -> str:
    """SQL giving ``column`` (of DuckDB ``raw_type``) as ``mysql_type``; NULL where it does not fit.

    Text is cast only where it matches the inference patterns (so ``1.5`` never rounds into an
    INT, ``0x10`` or ``1_000`` never parse, a UTC offset is never silently dropped); NaN and
    infinities become NULL.

    ``inferred``: ``mysql_type`` is the type inferred from this very text column, so every value
    is known to match its pattern (all were counted); the number and date casts then skip the
    per-value pattern checks, which would all pass. ``trimmed_text``: no value starts or ends
    with a space (a date format's reading gives them so), so the date casts take ``column`` as
    it is rather than repeat it in :func:`trimmed`.
    """
    target = duckdb_type(mysql_type)
    kind = native_kind(raw_type)
    if target == "VARCHAR":
        if kind == "varchar":
            return column
        if kind == "nested":
            return f"CAST(to_json({column}) AS VARCHAR)"
        return f"CAST({column} AS VARCHAR)"
    if kind == "varchar":
        cast = _inferred_cast(column, target, trimmed_text=trimmed_text) if inferred else None
        return cast or _cast_text(column, target)
    if target in ("DOUBLE", "FLOAT"):
        return _when(f"isfinite(TRY_CAST({column} AS DOUBLE))", f"TRY_CAST({column} AS {target})")
    if target == "TIMESTAMP" and kind == "timestamptz":
        return f"timezone('UTC', {column})"
    if raw_type.upper() == target:
        return column
    if target == "BLOB":
        return f"TRY_CAST({column} AS BLOB)"
    return f"TRY_CAST({column} AS {target})"


def trimmed(column: str) -> str:
    """``trim(column)`` for a value matching a number or date pattern (its ends can only be
    ASCII whitespace, of which trim strips the spaces), computed only where an end is a space:
    the same value, and trim is slow."""
    return (
        f"CASE WHEN prefix({column}, ' ') OR suffix({column}, ' ') "
        f"THEN trim({column}) ELSE {column} END"
    )


def _inferred_cast(column: str, target: str, *, trimmed_text: bool) -> str | None:
    """The cast of text whose every value matches the pattern of the type inferred for it: what
    :func:`_cast_text` gives such a value (its pattern check passes; a value matching
    ``DATETIME_PATTERN`` has no UTC offset), or None for the other targets."""
    if target in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DOUBLE"):
        return f"TRY_CAST({column} AS {target})"
    if target.startswith("DECIMAL"):
        return f"TRY_CAST({column} AS {target})"
    if target in ("DATE", "TIMESTAMP"):
        return f"TRY_CAST({column if trimmed_text else trimmed(column)} AS {target})"
    return None


def _cast_text(column: str, target: str) -> str:
    if target in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    ):
        return _when(_matches(column, INTEGER_PATTERN), f"TRY_CAST({column} AS {target})")
    if target.startswith("DECIMAL"):
        return _when(_matches(column, FIXED_PATTERN), f"TRY_CAST({column} AS {target})")
    if target in ("DOUBLE", "FLOAT"):
        value = f"TRY_CAST({column} AS DOUBLE)"
        return (
            f"CASE WHEN regexp_full_match({column}, {_sql(FLOAT_PATTERN)}) AND isfinite({value}) "
            f"THEN TRY_CAST({column} AS {target}) END"
        )
    if target == "TIMESTAMP":
        return (
            f"CASE WHEN NOT regexp_matches({column}, {_sql(UTC_OFFSET_PATTERN)}) "
            f"THEN TRY_CAST(trim({column}) AS TIMESTAMP) END"
        )
    if target == "BLOB":
        return f"encode({column})"
    return f"TRY_CAST(trim({column}) AS {target})"
