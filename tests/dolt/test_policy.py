"""The SQL policy, driven by the fixture files in fixtures/policy/."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlglot import exp

from dolt.errors import PolicyViolation
from dolt.sql.policy import ALLOW_WORDS, check_ddl, check_select, parse_one_statement

FIXTURES = Path(__file__).parent / "fixtures"

KNOWN_TABLES = frozenset({"people", "birthdays"})
RELATIONS = {
    "people": ["id", "name", "age"],
    "birthdays": ["person_id", "date_of_birth"],
    "marriages": ["person1_id", "person2_id", "marriage_date", "divorce_date"],
    "parents": ["person_id", "mother_id", "father_id"],
}

_SEPARATOR = re.compile(r"^-- ---[ \t]*$", re.MULTILINE)
_DIRECTIVE = re.compile(r"--\s*(\w+)(?:\s*:\s*(.*?))?\s*")
_FLAGS = frozenset({"escaped", "lossless"})


@dataclass(frozen=True)
class Case:
    """One block of a fixture file: directives (``-- key: value``) and named sections."""

    name: str
    directives: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        text = self.sections.get("sql", "")
        if "escaped" in self.directives:
            text = text.encode("ascii").decode("unicode_escape")
        return text

    @property
    def allow(self) -> frozenset[str]:
        return frozenset(self.directives.get("allow", "").replace(",", " ").split())

    @property
    def expect(self) -> str:
        return self.directives["expect"]


def read_cases(path: Path, *, sections: Collection[str] = ()) -> list[Case]:
    """Parse a fixture file into cases.

    Blocks are separated by a line ``-- ---``. A block starts with directive lines
    (``-- case: name``, ``-- expect: text``, flags such as ``-- escaped``); the text after
    them is the ``sql`` section, unless a line ``-- <section>`` (one of ``sections``) starts
    a named one.
    A block without a ``case`` directive may hold only comments (a file header).
    """
    cases = []
    for block in _SEPARATOR.split(path.read_text(encoding="utf-8")):
        lines = block.strip("\n").splitlines()
        directives: dict[str, str] = {}
        while lines and (match := _DIRECTIVE.fullmatch(lines[0])) and match[1] not in sections:
            if match[2] is None and match[1] not in _FLAGS:
                break
            directives[match[1]] = match[2] or ""
            lines.pop(0)
        parts: dict[str, list[str]] = {"sql": []}
        current = "sql"
        for line in lines:
            marker = line.strip()
            if marker.startswith("-- ") and marker[3:] in sections:
                current = marker[3:]
                parts[current] = []
            else:
                parts[current].append(line)
        texts = {key: "\n".join(value).strip() for key, value in parts.items()}
        if "case" not in directives:
            assert all(line.startswith("--") for line in block.strip().splitlines()), (
                f"{path.name}: a block without '-- case:' holds SQL:\n{block}"
            )
            continue
        cases.append(Case(directives.pop("case"), directives, texts))
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), f"{path.name}: duplicate case names"
    return cases


def cases_of(file_name: str, **kwargs: Collection[str]) -> list[pytest.ParameterSet]:
    """The cases of a fixture file as pytest parameters, with their names as ids."""
    path = FIXTURES / file_name
    return [pytest.param(case, id=case.name) for case in read_cases(path, **kwargs)]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("policy/ddl_accepted.sql"))
def test_ddl_accepted(case: Case) -> None:
    statement = check_ddl(case.sql, known_tables=KNOWN_TABLES, allow=case.allow)

    assert isinstance(statement, exp.Expression)
    # What a backend executes is the checked tree rendered again: that is accepted too.
    check_ddl(statement.sql(dialect="mysql"), known_tables=KNOWN_TABLES, allow=case.allow)


@pytest.mark.parametrize("case", cases_of("policy/ddl_rejected.sql"))
def test_ddl_rejected(case: Case) -> None:
    with pytest.raises(PolicyViolation) as raised:
        check_ddl(case.sql, known_tables=KNOWN_TABLES, allow=case.allow)

    assert case.expect in str(raised.value)


@pytest.mark.parametrize("case", cases_of("policy/select_accepted.sql"))
def test_select_accepted(case: Case) -> None:
    statement = check_select(case.sql, relations=RELATIONS)

    assert isinstance(statement, exp.Query)
    check_select(statement.sql(dialect="mysql"), relations=RELATIONS)


@pytest.mark.parametrize("case", cases_of("policy/select_rejected.sql"))
def test_select_rejected(case: Case) -> None:
    with pytest.raises(PolicyViolation) as raised:
        check_select(case.sql, relations=RELATIONS)

    assert case.expect in str(raised.value)


def test_fixtures_cover_enough_statements() -> None:
    names = ("ddl_accepted", "ddl_rejected", "select_accepted", "select_rejected")
    counts = {name: len(read_cases(FIXTURES / "policy" / f"{name}.sql")) for name in names}

    assert sum(counts.values()) >= 40, counts
    assert all(count >= 10 for count in counts.values()), counts


# --- allow ------------------------------------------------------------------------------------

OPT_INS = [
    pytest.param("DROP TABLE people", "drop", id="drop_table"),
    pytest.param("DROP INDEX idx_people_age ON people", "drop", id="drop_index"),
    pytest.param("ALTER TABLE people DROP COLUMN age", "drop", id="drop_column"),
    pytest.param("DELETE FROM people WHERE age < 21", "delete", id="delete"),
    pytest.param("TRUNCATE TABLE people", "truncate", id="truncate"),
    pytest.param("UPDATE people SET age = 21 WHERE age IS NULL", "update", id="update"),
    pytest.param("INSERT INTO people (id, name) VALUES (1, 'Ada')", "insert", id="insert"),
]


@pytest.mark.parametrize(("sql", "word"), OPT_INS)
def test_allow_opts_in_to_exactly_its_statement(sql: str, word: str) -> None:
    with pytest.raises(PolicyViolation, match="not allowed here"):
        check_ddl(sql, known_tables=KNOWN_TABLES)
    with pytest.raises(PolicyViolation, match="not allowed here"):
        check_ddl(sql, known_tables=KNOWN_TABLES, allow=ALLOW_WORDS - {word})

    statement = check_ddl(sql, known_tables=KNOWN_TABLES, allow={word.upper()})

    assert statement.sql(dialect="mysql")


def test_allow_still_checks_tables_and_names() -> None:
    with pytest.raises(PolicyViolation, match="unknown table 'accounts'"):
        check_ddl("DELETE FROM accounts", known_tables=KNOWN_TABLES, allow={"delete"})
    with pytest.raises(PolicyViolation, match="reserved prefix"):
        check_ddl("DROP TABLE dolt_branches", known_tables=KNOWN_TABLES, allow={"drop"})


def test_unknown_allow_word_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown allow words"):
        check_ddl("DROP TABLE people", known_tables=KNOWN_TABLES, allow={"everything"})


# --- API details ------------------------------------------------------------------------------


def test_parse_one_statement_accepts_a_trailing_semicolon() -> None:
    statement = parse_one_statement("SELECT 1;\n")

    assert statement.sql() == "SELECT 1"


def test_check_select_returns_the_tree_as_written() -> None:
    statement = check_select("SELECT Name FROM People WHERE age >= 21", relations=RELATIONS)

    assert statement.sql(dialect="duckdb") == "SELECT Name FROM People WHERE age >= 21"


def test_relation_names_are_case_insensitive() -> None:
    statement = check_select("SELECT id FROM people", relations={"People": ["ID"]})

    assert statement.sql() == "SELECT id FROM people"


def test_parse_errors_carry_sqlglots_description() -> None:
    with pytest.raises(PolicyViolation, match=r"Expecting \) at line 1, column \d+"):
        parse_one_statement("SELECT (1")
