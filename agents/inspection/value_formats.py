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
``ymd``            ``2015/01/31``, ``2015/1/5``                     ``2015-01-31``
``dmy``            ``31.01.2015`` (dots are always day first),
                   ``31/01/2015`` (a day above 12 decides)          ``2015-01-31``
``mdy``            ``01/31/2015``, ``1/5/2015`` (a second field
                   above 12 decides)                                ``2015-01-31``
``month_name``     ``Jan 31 2015``, ``January 31, 2015``,
                   ``31 Jan 2015``, ``31-Jan-2015`` (English names
                   or their first three letters, any case)          ``2015-01-31``
=================  ===============================================  ===========================

Every date format takes an optional time (``10:00``, ``1:00:30``, ``10:00:00.5``), read as
``2015-01-31 10:00``; day, month and hour may be written with one digit.

Day/month order is decided by the whole column, not its first values
(:func:`day_month_measures`, :func:`day_month_choice`): a field that can only be a day
(13 to 31) first says day/month, second says month/day; dots say day/month. A column where
every date could be either, or where both orders are seen, stays text with a note.

:func:`normalized` is the SQL giving each value as the text the standard patterns of
:mod:`~agents.inspection.type_inference` read (plain numbers, ISO dates; NULL for a marker), so
profiling counts and the casts run on it unchanged. A value not written in the format passes
through as it is, and keeps the column text unless it is standard itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.artifacts import ReadOptions, ValueFormat, ValueReading
from agents.inspection.type_inference import families_to_check, trimmed, value_family

DEFAULT_NULL_MARKERS = ("NA", "N/A", "NULL", "null", "NaN", "-", ".", "")
"""Read as missing in a column whose other values are numbers, dates or booleans."""

_TIME = r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_SEPARATOR = r"[ ./-]"
_DAY_MONTH = r"\s*([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})" + _TIME + r"\s*"
_MONTH_NAME = (
    rf"\s*(([0-9]{{1,2}}){_SEPARATOR}{_MONTH}|{_MONTH}{_SEPARATOR}([0-9]{{1,2}})),?"
    rf"{_SEPARATOR}([0-9]{{4}})" + _TIME + r"\s*"
)
PATTERNS: dict[ValueFormat, str] = {
    "thousands": r"\s*[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*",
    "decimal_comma": r"\s*[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?\s*",
    "percent": r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%\s*",
    "percent_comma": r"\s*[+-]?[0-9]+(,[0-9]+)?\s*%\s*",
    "ymd": r"\s*([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})" + _TIME + r"\s*",
    "dmy": _DAY_MONTH,
    "mdy": _DAY_MONTH,
    "month_name": _MONTH_NAME,
}
"""Every value written in the format matches (in full). Date patterns capture their fields, in
the order :data:`_ISO_ORDER` puts them."""
DATE_FORMATS: tuple[ValueFormat, ...] = ("ymd", "dmy", "mdy", "month_name")
_ISO_ORDER: dict[ValueFormat, str] = {
    "dmy": r"\3-\2-\1\4",
    "mdy": r"\3-\1-\2\4",
    "month_name": r"\4-M-\2\3\5",  # M: the month's number, looked up from its name
}
"""A date format's fields as ``year-month-day`` and the time (as written, padded after); a
``ymd`` date has them in that order already."""
_MONTHS = "janfebmaraprmayjunjulaugsepoctnovdec"
_ONLY_A_DAY = "(1[3-9]|2[0-9]|3[01])"
"""A day or month field that can only be a day."""
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
    "month_name": "dates with month names read (Jan 31 2015 as 2015-01-31)",
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
    day_month: bool = False
    """The values are dates written ``31/01/2015`` or ``01/31/2015``: ``reading`` is day first
    until :func:`day_month_choice` decides the order from the whole column."""


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
        if all(re.fullmatch(PATTERNS[format_], value) for value in real) and _uses(real, format_):
            reading = ValueReading(null_markers=list(markers), format=format_)
            return Choice(reading, day_month=format_ == "dmy")
    return Choice(None)


def _candidates(decimal_comma: bool) -> tuple[ValueFormat, ...]:
    if decimal_comma:
        return ("percent_comma", "ymd", "dmy", "month_name")
    return ("thousands", "percent", "ymd", "dmy", "month_name")


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


def day_month_choice(choice: Choice, firsts: Mapping[str, Any]) -> Choice:
    """The reading of a :attr:`Choice.day_month` column, from :func:`day_month_measures` of the
    whole column: ``dmy`` when only a first field (or dots) shows a day, ``mdy`` when only a
    second field does; else the column stays text, with a note saying why."""
    if not choice.day_month or choice.reading is None:
        return choice
    day_first, month_first = firsts["day_first"], firsts["month_first"]
    if day_first is not None and month_first is not None:
        return Choice(
            None,
            (
                f"dates are written both day first ({day_first.strip()}) "
                f"and month first ({month_first.strip()}), so they are kept as text",
            ),
        )
    if day_first is None and month_first is None:
        return Choice(
            None,
            (
                "every date could be day/month or month/day "
                f"(e.g. {str(firsts['value']).strip()}), so they are kept as text",
            ),
        )
    order: ValueFormat = "dmy" if day_first is not None else "mdy"
    return Choice(choice.reading.model_copy(update={"format": order}))


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


def day_month_measures(column: str, markers: Sequence[str]) -> dict[str, str]:
    """Aggregates over a whole column of dates written ``31/01/2015`` or ``01/31/2015`` (for
    :func:`day_month_choice`): its first value that shows the day first (a first field from 13
    to 31, or dots, which are written day first), the first that shows it second, and its first
    value. Each is NULL when there is none.

    Only the start of each value is matched (the whole column is checked as it is measured), so
    one pass over a million values takes about a tenth of a second.
    """
    day_first = _literal(rf"^\s*({_ONLY_A_DAY}/|[0-9]{{1,2}}\.)")
    month_first = _literal(rf"^\s*[0-9]{{1,2}}/{_ONLY_A_DAY}/")
    value = f"{column} IS NOT NULL"
    if markers:
        value += f" AND NOT {_in_markers(column, markers)}"

    def first(condition: str) -> str:
        return f"arg_min({column}, __record) FILTER (WHERE {condition})"

    return {
        "day_first": first(f"regexp_matches({column}, {day_first})"),
        "month_first": first(f"regexp_matches({column}, {month_first})"),
        "value": first(value),
    }


def gives_trimmed_text(reading: ValueReading) -> bool:
    """Whether :func:`normalized` gives no value with a space at either end (a date format's)."""
    return reading.format in DATE_FORMATS


def normalized(column: str, reading: ValueReading) -> str:
    """SQL giving each value of text ``column`` as standard text: NULL for a marker, numbers
    without separators or percent sign with a decimal point, dates as ``YYYY-MM-DD`` (spaces
    around any value trimmed: see :func:`gives_trimmed_text`)."""
    value = column
    if reading.format is not None:
        pattern = _literal(PATTERNS[reading.format])
        other = f"trim({column})" if gives_trimmed_text(reading) else column
        value = (
            f"CASE WHEN regexp_full_match({column}, {pattern}) "
            f"THEN {_rewrite(column, reading.format)} ELSE {other} END"
        )
    if not reading.null_markers:
        return value
    return f"CASE WHEN {_in_markers(column, reading.null_markers)} THEN NULL ELSE {value} END"


def _rewrite(c: str, format_: ValueFormat) -> str:
    if format_ in DATE_FORMATS:
        return _iso_date(c, format_)
    return _plain_number(c, format_)


def _plain_number(c: str, format_: ValueFormat) -> str:
    if format_ == "thousands":
        return f"replace({c}, ',', '')"
    if format_ == "decimal_comma":
        return f"replace(replace({c}, '.', ''), ',', '.')"
    if format_ == "percent":
        return f"replace({c}, '%', '')"
    return f"replace(replace({c}, '%', ''), ',', '.')"  # percent_comma


def _iso_date(c: str, format_: ValueFormat) -> str:
    """A date (and time) written in ``format_`` as ``YYYY-MM-DD[ HH:MM...]``: its fields put in
    order, a ``T`` before the time made a space, then a one-digit month, day or hour padded to
    two (a digit between ``-``, a space or ``T`` and the end of a number: ``5T1`` is one word).

    ``c`` (a column) appears once in the rewritten fields (twice for month names): each copy of
    a column's SQL in the typed view costs DuckDB memory for every thread that runs it.
    """
    spaced = f"replace({_in_order(c, format_)}, 'T', ' ')"
    return rf"regexp_replace({spaced}, '([- ])([0-9])\b', '\10\2', 'g')"


def _in_order(c: str, format_: ValueFormat) -> str:
    """The fields of a date as ``year-month-day`` and its time, without spaces around."""
    if format_ == "ymd":
        return f"replace({trimmed(c)}, '/', '-')"
    pattern = _literal("^" + PATTERNS[format_] + "$")
    ordered = f"regexp_replace({c}, {pattern}, {_literal(_ISO_ORDER[format_])})"
    if format_ == "month_name":
        return f"replace({ordered}, '-M-', '-' || {_month_number(c)} || '-')"
    return ordered


def _month_number(c: str) -> str:
    """The number of the month named in ``c`` (its only letters before any time), as text."""
    name = f"lower(regexp_extract({c}, '[A-Za-z]{{3}}'))"
    return f"CAST((strpos('{_MONTHS}', {name}) + 2) // 3 AS VARCHAR)"
