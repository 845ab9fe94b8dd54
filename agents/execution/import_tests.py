"""The import's own checks, written as Dolt tests: a group per import, `import/<job>`.

Each test is a plain SELECT returning one value that `dolt_test_run` compares:

- `<table> rows accounted for`: the load's arithmetic, `source - (loaded + filtered +
  rejected) = 0`, as a constant query. It records the accounting with the data; it cannot go
  stale (later imports have their own).
- `<table> holds at least N rows`: `COUNT(*) >= N`, N the rows this import wrote. Not `=`:
  later appends and upserts into the same table only add rows, so an exact count would fail
  every later legitimate import. The exact count was checked on the branch before the commit
  (`executor._verify`). A later *replace* of the table retires these tests of earlier imports
  (`stale_count_tests`): the rows they counted are gone by design.
- `<table> keys unique`: no key value held twice (tables with a primary key).
- `<table> references <parent>`: no row whose foreign key points at no row, one per key.
- `<table> rows satisfy <predicate>`: `COUNT(*) WHERE NOT (predicate) = 0`, the request's
  filter (plan checks), for each loaded table that has the predicate's columns.

The tests merge into main with the data, so later imports into the same tables inherit them
and must pass them too. The ledger table is never tested. Every ✓ the review shows
(`ImportCheck.said`) comes from tests that ran and passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp, parse_one

from agents.artifacts import PlanStep, TableLoad
from agents.errors import VerificationFailed
from agents.execution.branches import PREFIX
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.target_columns import ForeignKey, foreign_keys, target_columns
from dolt.dolt_tests import failures_in_words
from dolt.errors import TestsUnavailable
from dolt.interface import Database, WriteSession
from dolt.models import DoltTest, TestResult
from dolt.sql.dialect import query_sql
from dolt.sql.names import quote_identifier
from dolt.sql.predicates import count_query


@dataclass(frozen=True)
class ImportCheck:
    """One ✓ of the review and the Dolt tests that must pass for it to be shown."""

    said: str
    tests: tuple[DoltTest, ...]

    def passed(self, results: Mapping[str, TestResult]) -> bool:
        """True when every test of the check ran (is in `results`) and passed."""
        return all(t.name in results and results[t.name].passed for t in self.tests)


def import_checks(
    *,
    group: str,
    loads: Sequence[TableLoad],
    steps: Sequence[PlanStep],
    predicates: Sequence[str],
    schemas: Mapping[str, str],
    rows_after: Mapping[str, int],
    dialect: str,
) -> list[ImportCheck]:
    """The checks of one import, `group` its branch; `schemas` the MySQL CREATE statements
    on the branch and `rows_after` each loaded table's rows there."""
    loads = [load for load in loads if load.table != LEDGER_TABLE]
    checks = [
        ImportCheck(
            said=f"every source row accounted for ({sum(load.source_rows for load in loads)} rows)",
            tests=tuple(_accounted(group, load) for load in loads),
        )
    ]
    for load in loads:
        schema = schemas[load.table]
        tests = [_at_least(group, load, dialect=dialect)]
        key = [c.name for c in target_columns(schema) if c.primary_key]
        if key:
            tests.append(_keys_unique(group, load.table, key, dialect=dialect))
        tests += [
            _references(group, load.table, foreign_key, dialect=dialect)
            for foreign_key in foreign_keys(schema)
        ]
        checks.append(
            ImportCheck(
                said=f"{load.table}: {rows_after[load.table]} rows, keys and references intact",
                tests=tuple(tests),
            )
        )
    tables = {step.table for step in steps} - {LEDGER_TABLE}
    for predicate in predicates:
        for table in sorted(tables):
            columns = [c.name for c in target_columns(schemas[table])]
            if not _mentions_only(predicate, columns):
                continue
            checks.append(
                ImportCheck(
                    said=f"{table}: every row satisfies {predicate}",
                    tests=(_satisfies(group, table, columns, predicate, dialect=dialect),),
                )
            )
    return checks


def tests_of(checks: Sequence[ImportCheck]) -> list[DoltTest]:
    """Every test of the checks, once each."""
    return list({test.name: test for check in checks for test in check.tests}.values())


def passed_words(checks: Sequence[ImportCheck], results: Sequence[TestResult]) -> list[str]:
    """The ✓ of each check whose tests all ran and passed."""
    by_name = {result.name: result for result in results}
    return [check.said for check in checks if check.passed(by_name)]


def stale_count_tests(
    results: Sequence[TestResult], *, group: str, replaced: Sequence[str], dialect: str
) -> list[str]:
    """Earlier imports' row-count tests of the tables this import replaces."""
    queries = {count_sql(table, dialect=dialect) for table in replaced}
    return [
        r.name
        for r in results
        if r.group != group and r.group.startswith(PREFIX) and r.query in queries
    ]


def write_tests(
    session: WriteSession,
    *,
    database: Database,
    group: str,
    tests: Sequence[DoltTest],
    replaced: Sequence[str] = (),
) -> bool:
    """Write the import's tests (and the person's) on the branch, uncommitted; False when the
    server has no Dolt tests. Tests of this group a previous run left and this one does not
    write, and earlier imports' count tests of the tables replaced, are deleted first."""
    try:
        present = database.run_tests(ref=session.branch)
    except TestsUnavailable:
        return False
    names = {test.name for test in tests}
    leftover = [r.name for r in present if r.group == group and r.name not in names]
    stale = stale_count_tests(present, group=group, replaced=replaced, dialect=database.dialect)
    try:
        session.delete_tests([*leftover, *stale])
        session.write_tests(tests)
    except TestsUnavailable:
        return False
    return True


def passed_on_branch(
    database: Database, *, branch: str, checks: Sequence[ImportCheck]
) -> list[str]:
    """The ✓ of the import's checks, from `dolt_test_run` on the branch; an import test that
    fails there (where `_verify` passed) stops the import, which resets the branch. Tests of
    others (the person's, those inherited from main) may fail: the review shows them."""
    results = database.run_tests(ref=branch)
    ours = {test.name for check in checks for test in check.tests}
    failing = [r for r in results if r.name in ours and not r.passed]
    if failing:
        raise VerificationFailed(
            "The loaded data failed its checks, so the branch was reset: "
            + failures_in_words(failing)
        )
    return passed_words(checks, results)


def count_sql(table: str, *, dialect: str) -> str:
    return _render(f"SELECT COUNT(*) FROM {_q(table)}", dialect=dialect)


def _name(group: str, what: str) -> str:
    return f"{group}: {what}"


def _accounted(group: str, load: TableLoad) -> DoltTest:
    return DoltTest(
        name=_name(group, f"{load.table} rows accounted for"),
        group=group,
        query=f"SELECT {load.source_rows} - ({load.loaded} + {load.filtered} + {load.rejected})",
    )


def _at_least(group: str, load: TableLoad, *, dialect: str) -> DoltTest:
    return DoltTest(
        name=_name(group, f"{load.table} holds at least {load.loaded} rows"),
        group=group,
        query=count_sql(load.table, dialect=dialect),
        comparator=">=",
        value=str(load.loaded),
    )


def _keys_unique(group: str, table: str, key: Sequence[str], *, dialect: str) -> DoltTest:
    columns = ", ".join(_q(c) for c in key)
    sql = (
        f"SELECT COUNT(*) FROM (SELECT {columns} FROM {_q(table)} "
        f"GROUP BY {columns} HAVING COUNT(*) > 1) AS repeated"
    )
    return DoltTest(
        name=_name(group, f"{table} keys unique"),
        group=group,
        query=_render(sql, dialect=dialect),
    )


def _references(group: str, table: str, key: ForeignKey, *, dialect: str) -> DoltTest:
    columns, parent, keys = key.columns, key.parent, key.parent_columns
    joined = " AND ".join(f"p.{_q(k)} = c.{_q(c)}" for c, k in zip(columns, keys, strict=True))
    present = " AND ".join(f"c.{_q(c)} IS NOT NULL" for c in columns)
    sql = (
        f"SELECT COUNT(*) FROM {_q(table)} AS c LEFT JOIN {_q(parent)} AS p ON {joined} "
        f"WHERE {present} AND p.{_q(keys[0])} IS NULL"
    )
    return DoltTest(
        name=_name(group, f"{table} references {parent}"),
        group=group,
        query=_render(sql, dialect=dialect),
    )


def _satisfies(
    group: str, table: str, columns: Sequence[str], predicate: str, *, dialect: str
) -> DoltTest:
    return DoltTest(
        name=_name(group, f"{table} rows satisfy {' '.join(predicate.split())}"),
        group=group,
        query=count_query(
            table=table, columns=columns, where=f"NOT ({predicate})", dialect=dialect
        ),
    )


def _mentions_only(predicate: str, columns: Sequence[str]) -> bool:
    """True when the predicate names columns, all of them among `columns`."""
    names = {
        c.name.lower()
        for c in parse_one(f"SELECT 1 WHERE {predicate}", read="mysql").find_all(exp.Column)
    }
    return bool(names) and names <= {c.lower() for c in columns}


def _q(name: str) -> str:
    return quote_identifier(name, quote="`")


def _render(mysql_sql: str, *, dialect: str) -> str:
    """A query built here in MySQL's dialect, as the database runs it."""
    return query_sql(parse_one(mysql_sql, read="mysql"), dialect=dialect)
