"""What both backends share about Dolt tests: the `dolt_tests` row, the selector, the words.

`dolt_test_run` takes literal arguments only (doltlite refuses a bound parameter), so the
selector — `*`, a group or a test name — is written as a quoted SQL string, and refused when
it holds a character the two dialects would read differently (a backslash) or a control one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dolt.errors import InvalidName
from dolt.models import DoltTest, TestResult

TESTS_COLUMNS = (
    "test_name",
    "test_group",
    "test_query",
    "assertion_type",
    "assertion_comparator",
    "assertion_value",
)
NO_TESTS = "could not find tests for argument"
"""What `dolt_test_run` says when no test matches (also when `dolt_tests` is empty)."""


def row_of_test(test: DoltTest) -> tuple[str, str, str, str, str, str]:
    """The `dolt_tests` row of a test, in `TESTS_COLUMNS` order."""
    return (
        test.name,
        test.group,
        test.query,
        test.assertion_type,
        test.comparator,
        test.value,
    )


def selector_literal(selector: str) -> str:
    """`selector` as a single-quoted SQL string both SQLite and MySQL read the same way."""
    if not selector or "\\" in selector or any(ord(ch) < 0x20 for ch in selector):
        raise InvalidName(
            f"The test selector {selector!r} is empty or has a backslash or a control character."
        )
    return "'" + selector.replace("'", "''") + "'"


def result_of_row(row: Sequence[object]) -> TestResult:
    """A row of `dolt_test_run`: test_name, test_group, query, status, message."""
    name, group, query, status, message = (str(v) if v is not None else "" for v in row[:5])
    return TestResult(name=name, group=group, query=query, status=status, message=message)


def failures_in_words(failures: Sequence[TestResult]) -> str:
    """`Dolt test 'x' fails: Assertion failed: ...; Dolt test 'y' fails: ...`."""
    return "; ".join(failure_in_words(f) for f in failures)


def failure_in_words(failure: TestResult) -> str:
    """`Dolt test 'x' fails: expected 0, got 3` (Dolt's assertion said plainly)."""
    said = f": {plain_message(failure.message)}" if failure.message else ""
    return f"Dolt test {failure.name!r} fails{said}"


def plain_message(message: str) -> str:
    """Dolt's `Assertion failed: expected_single_value equal to 0, got 3` as `expected 0, got
    3` (`expected at least 5, got 2` for `>=`); any other message as Dolt says it."""
    found = _ASSERTION.match(message)
    if found is None:
        return message
    comparison = _COMPARISONS.get(found["comparison"], found["comparison"])
    return f"expected {comparison}{found['rest']}"


_ASSERTION = re.compile(
    r"Assertion failed: expected_single_value (?P<comparison>(?:not )?equal to|"
    r"(?:greater|less) than(?: or equal to)?) (?P<rest>.*)\Z",
    re.DOTALL,
)
_COMPARISONS = {
    "equal to": "",
    "not equal to": "anything but ",
    "greater than or equal to": "at least ",
    "less than or equal to": "at most ",
    "greater than": "more than ",
    "less than": "less than ",
}
