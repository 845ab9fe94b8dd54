"""Durations people configure and read: "30m", "4h", "7d" in, "4 hours" out."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[smhdw]?)\s*$", re.IGNORECASE)
_WORDS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


class InvalidDuration(ValueError):
    """A setting that is not a duration like "30m", "4h" or "7d"."""


def parse_duration(text: str) -> float:
    """Seconds in "90s", "30m", "4h", "7d", "2w" (a bare number is seconds); refused else."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidDuration(
            f"{text!r} is not a duration; write it like 30m, 4h or 7d (s, m, h, d or w)."
        )
    return float(match["amount"]) * _UNITS[(match["unit"] or "s").lower()]


def duration_words(seconds: float) -> str:
    """As a sentence says it, rounded down: "4 hours", "6 days" (for 6 days 20 hours), "1 hour"
    (for 3601 s) — and "90 minutes", "36 hours": under two of the largest unit that fits, the
    next one when it says it exactly."""
    whole = max(0, round(seconds))
    fitting = [(name, size) for name, size in _WORDS if whole >= size] or [_WORDS[-1]]
    name, size = fitting[0]
    exact_below = len(fitting) > 1 and whole % fitting[1][1] == 0
    if whole % size and whole < 2 * size and exact_below:
        name, size = fitting[1]
    count = whole // size
    return f"{count} {name}{'' if count == 1 else 's'}"
