"""Values written as people write them: missing-value markers, and numbers and dates DuckDB does
not read as they are.

A text column whose other values are numbers, dates or booleans reads R's and pandas' markers
(:data:`DEFAULT_NULL_MARKERS`, or the request's ``null_markers`` less its ``text_markers``) as
missing; a column of words keeps them as text. Its first values also choose at most one format:

=================  ===============================================  ===========================
format             values                                           read as
=================  ===============================================  ===========================
``thousands``      ``1,234,567.5`` (and plain ``999``)              ``1234567.5``
``decimal_comma``  ``1095,47``, ``1.234.567,89`` — in a ``;`` file  ``1095.47``, ``1234567.89``
                   or when the request says ``decimal comma``
``percent``        ``12.5%`` (``percent_comma``: ``12,5%``)         ``12.5`` (noted)
``ymd``            ``2015/01/31`` with an optional time             ``2015-01-31``
``dmy``            ``31.01.2015`` (dots are always day first),
                   ``31/01/2015`` (a day above 12 decides)          ``2015-01-31``
``mdy``            ``01/31/2015`` (a second field above 12 decides) ``2015-01-31``
=================  ===============================================  ===========================

Slash dates whose every value could be either day/month or month/day stay text, with a note.

:func:`normalized` is the SQL giving each value as the text the standard patterns of
:mod:`~agents.inspection.type_inference` read (plain numbers, ISO dates; NULL for a marker), so
profiling counts and the casts run on it unchanged. A value not written in the format passes
through as it is, and keeps the column text unless it is standard itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agents.artifacts import ReadOptions, ValueFormat, ValueReading
from agents.inspection.type_inference import families_to_check, value_family

DEFAULT_NULL_MARKERS = ("NA", "N/A", "NULL", "null", "NaN", "-", ".", "")
"""Read as missing in a column whose other values are numbers, dates or booleans."""

_TIME = r"([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
_DAY_MONTH = r"\s*[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{4}" + _TIME + r"\s*"
PATTERNS: dict[ValueFormat, str] = {
    "thousands": r"\s*[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*",
    "decimal_comma": r"\s*[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?\s*",
    "percent": r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%\s*",
    "percent_comma": r"\s*[+-]?[0-9]+(,[0-9]+)?\s*%\s*",
    "ymd": r"\s*[0-9]{4}/[0-9]{2}/[0-9]{2}" + _TIME + r"\s*",
    "dmy": _DAY_MONTH,
    "mdy": _DAY_MONTH,
}
_MARKS: dict[ValueFormat, str] = {
    "thousands": ",",
    "decimal_comma": ",",
    "percent": "%",
    "percent_comma": "%",
    "ymd": "/",
}
_NOTES: dict[ValueFormat, str] = {
    "thousands": "thousands separators read (1,234.5 as 1234.5)",
    "decimal_comma": "decimal commas read (1.234,5 as 1234.5)",
    "percent": "percentages stored as numbers (12.5% as 12.5)",
    "percent_comma": "percentages stored as numbers (12,5% as 12.5)",
    "ymd": "dates written with slashes read as year/month/day",
    "dmy": "dates read as day/month/year",
    "mdy": "dates read as month/day/year",
}


def null_markers(read: ReadOptions | None) -> tuple[str, ...]:
    """The markers read as missing: the request's (or the defaults) less those kept as text."""
    markers = (
        DEFAULT_NULL_MARKERS if read is None or read.null_markers is None else read.null_markers
    )
    kept = set(read.text_markers) if read is not None else set()
    return tuple(dict.fromkeys(marker for marker in markers if marker not in kept))


@dataclass(frozen=True)
class Choice:
    """What a column's first values say about how to read it."""

    reading: ValueReading | None
    notes: tuple[str, ...] = ()


def choose_reading(
    values: Sequence[str | None],
    *,
    markers: Sequence[str],
    decimal_comma: bool,
) -> Choice:
    """How to read a text column, from its first values (None: as written); ``decimal_comma``:
    the file writes numbers ``1.234,5`` (said, or :func:`detects_decimal_comma`).

    Markers count as missing only where the other values are numbers, dates or booleans (or one
    format); a marker that looks like a number (``-999``) always gets the marker reading, since
    the first values may not show it.
    """
    present = [value for value in values if value is not None]
    real = [value for value in present if value not in markers]
    if not real:
        return Choice(None)
    if decimal_comma and _written_with_decimal_comma(real):
        return Choice(ValueReading(null_markers=list(markers), format="decimal_comma"))
    typed_marker = any(value_family(marker) not in (None, "string") for marker in markers)
    if families_to_check(real):
        seen = typed_marker or len(real) < len(present)
        return Choice(ValueReading(null_markers=list(markers)) if seen else None)
    for format_ in _candidates(decimal_comma):
        if not all(re.fullmatch(PATTERNS[format_], value) for value in real):
            continue
        if format_ == "dmy":
            order, note = _day_month_order(real)
            if order is None:
                return Choice(None, (note,) if note else ())
            format_ = order
        elif not _uses(real, format_):
            continue
        return Choice(ValueReading(null_markers=list(markers), format=format_))
    return Choice(None)


def _candidates(decimal_comma: bool) -> tuple[ValueFormat, ...]:
    if decimal_comma:
        return ("percent_comma", "ymd", "dmy")
    return ("thousands", "percent", "ymd", "dmy")


def _written_with_decimal_comma(values: Sequence[str]) -> bool:
    """Numbers in a decimal-comma file with a comma or a thousands dot (``1.500`` is 1500)."""
    return all(re.fullmatch(PATTERNS["decimal_comma"], value) for value in values) and any(
        "," in value or "." in value for value in values
    )


def detects_decimal_comma(
    delimiter: str | None, columns: Mapping[str, Sequence[str | None]], markers: Sequence[str]
) -> bool:
    """A ``;``-separated file whose numbers are written ``1095,47``: some column's first values
    (markers aside) are all numbers in that style, and one has a decimal comma."""
    if delimiter != ";":
        return False
    for values in columns.values():
        real = [value for value in values if value is not None and value not in markers]
        if _written_with_decimal_comma(real) and any("," in value for value in real):
            return True
    return False


def _uses(values: Sequence[str], format_: ValueFormat) -> bool:
    """Some value shows the format's mark (a plain ``999`` alone is not ``1,234``-style)."""
    mark = _MARKS.get(format_)
    return mark is None or any(mark in value for value in values)


def _day_month_order(values: Sequence[str]) -> tuple[ValueFormat | None, str | None]:
    """``dmy`` or ``mdy`` for dates with two leading fields, decided by a field above 12.

    Decided on the first records: a larger file whose first dates are all ambiguous stays text
    even if a later one would decide (and a later one contradicting the order keeps it text).
    """
    if any("." in value.strip()[:6] for value in values):
        return "dmy", None  # 31.01.2015: dots are written day first
    fields = [re.split(r"[./]", value.strip(), maxsplit=2)[:2] for value in values]
    day_first = any(int(first) > 12 for first, _ in fields)
    month_first = any(int(second) > 12 for _, second in fields)
    if day_first != month_first:
        return ("dmy" if day_first else "mdy"), None
    if day_first:
        return None, None  # both orders seen: not one date format
    return None, (
        f"every date could be day/month or month/day (e.g. {values[0].strip()}), "
        "so they are kept as text"
    )


def note(name: str, reading: ValueReading) -> str:
    """What the person reads about a typed column read this way, in one line."""
    parts = [_NOTES[reading.format]] if reading.format is not None else []
    if reading.missing:
        rank = {marker: i for i, marker in enumerate(reading.null_markers)}
        found = sorted(reading.missing.items(), key=lambda item: (-item[1], rank.get(item[0], 0)))
        parts.append(
            "read "
            + ", ".join(
                f"{_shown(marker)} as missing ({count} row{'s' if count != 1 else ''})"
                for marker, count in found
            )
        )
    return f"{name}: {'; '.join(parts)}"


def _shown(marker: str) -> str:
    return '""' if marker == "" else marker


# --- SQL ---------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_markers(column: str, markers: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(_literal(marker) for marker in markers)})"


def missing_measure(column: str, markers: Sequence[str]) -> str:
    """Aggregate: marker -> how many values of ``column`` are that marker."""
    if not markers:
        return "NULL"
    return f"histogram({column}) FILTER (WHERE {_in_markers(column, markers)})"


def normalized(column: str, reading: ValueReading) -> str:
    """SQL giving each value of text ``column`` as standard text: NULL for a marker, numbers
    without separators or percent sign with a decimal point, dates as ``YYYY-MM-DD``."""
    value = column
    if reading.format is not None:
        pattern = _literal(PATTERNS[reading.format])
        value = (
            f"CASE WHEN regexp_full_match({column}, {pattern}) "
            f"THEN {_rewrite(column, reading.format)} ELSE {column} END"
        )
    if not reading.null_markers:
        return value
    return f"CASE WHEN {_in_markers(column, reading.null_markers)} THEN NULL ELSE {value} END"


def _rewrite(c: str, format_: ValueFormat) -> str:
    if format_ == "thousands":
        return f"replace({c}, ',', '')"
    if format_ == "decimal_comma":
        return f"replace(replace({c}, '.', ''), ',', '.')"
    if format_ == "percent":
        return f"replace({c}, '%', '')"
    if format_ == "percent_comma":
        return f"replace(replace({c}, '%', ''), ',', '.')"
    if format_ == "ymd":
        return rf"regexp_replace({c}, '^(\s*[0-9]{{4}})/([0-9]{{2}})/', '\1-\2-')"
    # dmy / mdy: pad the day and month to two digits, then put the year first.
    padded = rf"regexp_replace(ltrim({c}), '^([0-9])([./])', '0\1\2')"
    padded = rf"regexp_replace({padded}, '^([0-9]{{2}}[./])([0-9])([./])', '\10\2\3')"
    order = r"\3-\2-\1" if format_ == "dmy" else r"\3-\1-\2"
    return rf"regexp_replace({padded}, '^([0-9]{{2}})[./]([0-9]{{2}})[./]([0-9]{{4}})', '{order}')"
