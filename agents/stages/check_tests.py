"""The person's checks in words → the Dolt tests written on the import's branch.

Each check is read offline first (`agents.stages.check_words`). A check that is none of the
offline forms goes to the model, when one is configured: it answers one SELECT that returns a
single number and the comparison that number must pass. The SELECT must pass the SELECT
policy over the import's tables (SELECT only, allowed functions, known tables and columns,
bounded joins); a failing answer gets one repair turn with the exact error, then the person is
told in words (`CheckNotUnderstood`). Without a model the message lists the offline forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from agents.artifacts import SchemaProposal
from agents.errors import LlmError
from agents.execution.branches import branch_name
from agents.execution.ledger import without_ledger
from agents.stages.check_words import (
    OFFLINE_FORMS,
    CheckNotUnderstood,
    TableShape,
    check_test_name,
    read_check,
    table_shapes,
)
from agents.stages.context import as_json
from agents.stages.dry_run import dry_run_ddl
from agents.stages.repair import Parses, ask_and_validate
from dolt.errors import PolicyViolation
from dolt.interface import Database
from dolt.models import DoltTest
from dolt.sql.dialect import query_sql
from dolt.sql.policy import check_select

REPAIR_TURNS = 1

INSTRUCTIONS = """You turn one check a person wrote in words into a test of a Dolt (MySQL)
database after a data import: one SELECT (MySQL dialect) over the tables below that returns a
single number, the comparison that number must pass, and the number it is compared with.
Only the tables and columns listed exist; no subqueries in FROM beyond plain ones, no
variables, no functions beyond ordinary SQL ones. Prefer counting the rows that break the
check, compared "==" with 0. Example: "no one married before 1900" ->
{"query": "SELECT COUNT(*) FROM marriages WHERE marriage_date < '1900-01-01'",
 "comparator": "==", "expected": 0}
Use status "cannot" with a one-sentence reason when the words are not a check of this data."""


class CheckQuery(BaseModel):
    """The model's answer for one check: a one-number SELECT and what it must be."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300, description="Why not (status=cannot).")
    query: str = Field("", description="One SELECT returning a single number (MySQL dialect).")
    comparator: Literal["==", "!=", "<", "<=", ">", ">="] = Field(
        "==", description="How the number compares with `expected`."
    )
    expected: float = Field(0, description="The number the query's result is compared with.")


def checks_as_tests(
    checks: Sequence[str],
    *,
    tables: Mapping[str, TableShape],
    group: str,
    dialect: str,
    llm: Parses | None = None,
) -> tuple[DoltTest, ...]:
    """One Dolt test per check, in order; `CheckNotUnderstood` names the first that cannot be
    one and what to write instead."""
    tests = []
    for words in checks:
        test = read_check(words, tables=tables, group=group, dialect=dialect)
        if test is None:
            test = _model_test(words, tables=tables, group=group, dialect=dialect, llm=llm)
        tests.append(test)
    return tuple(tests)


def tables_after(database: Database, schema: SchemaProposal) -> dict[str, TableShape]:
    """The tables a check may name: main's once the approved DDL ran (on a scratch branch),
    without the import ledger."""
    return table_shapes(without_ledger(dry_run_ddl(database, schema.ddl)))


def person_tests(
    checks: Sequence[str],
    *,
    database: Database,
    schema: SchemaProposal,
    job_id: str,
    llm: Parses | None = None,
) -> tuple[DoltTest, ...]:
    """The Dolt tests of the person's checks for the job's branch (group ``import/<job>``),
    in the database's dialect."""
    if not checks:
        return ()
    return checks_as_tests(
        checks,
        tables=tables_after(database, schema),
        group=branch_name(job_id),
        dialect=database.dialect,
        llm=llm,
    )


def check_notes(
    checks: Sequence[str],
    *,
    database: Database,
    schema: SchemaProposal,
    llm: Parses | None = None,
) -> list[str]:
    """Read the checks against the proposed tables before anything is loaded: a check that
    names a table or column they lack, or that needs a model when none is configured, raises
    `CheckNotUnderstood`; a check only the model can read gets a note saying so."""
    if not checks:
        return []
    tables = tables_after(database, schema)
    notes = []
    for words in checks:
        if read_check(words, tables=tables, group="", dialect=database.dialect) is not None:
            continue
        if llm is None:
            raise CheckNotUnderstood(no_model_message(words))
        notes.append(f'The check "{words}" is written as a test by the model when the import runs.')
    return notes


def no_model_message(words: str) -> str:
    return (
        f'I cannot read the check "{words}" without a model. Write it like one of these: '
        f"{OFFLINE_FORMS}."
    )


def _model_test(
    words: str,
    *,
    tables: Mapping[str, TableShape],
    group: str,
    dialect: str,
    llm: Parses | None,
) -> DoltTest:
    if llm is None:
        raise CheckNotUnderstood(no_model_message(words))
    relations = {table.name: table.columns for table in tables.values()}
    schema = {
        table.name: {
            "columns": list(table.columns),
            "references": [
                f"({', '.join(r.columns)}) -> {r.parent}({', '.join(r.parent_columns)})"
                for r in table.references
            ],
        }
        for table in tables.values()
    }
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": f"Tables: {as_json(schema)}\n\nCheck: {words}"},
    ]
    try:
        answer = ask_and_validate(
            llm,
            stage="check",
            messages=messages,
            output=CheckQuery,
            validate=lambda a: _one_number(a, relations),
            attempts=REPAIR_TURNS,
        )
    except LlmError as error:
        if error.retryable:  # no model answered now: the step is tried again later
            raise
        raise CheckNotUnderstood(
            f'I could not turn the check "{words}" into a test: {error} Write it like one of '
            f"these: {OFFLINE_FORMS}."
        ) from None
    if answer.status == "cannot":
        raise CheckNotUnderstood(
            f'The check "{words}" cannot be a test of these tables: '
            f"{answer.reason or 'no reason given'}."
        )
    checked = check_select(answer.query, relations=relations)
    expected = answer.expected
    value = str(int(expected)) if float(expected).is_integer() else repr(expected)
    return DoltTest(
        name=check_test_name(words),
        group=group,
        query=query_sql(checked, dialect=dialect),
        comparator=answer.comparator,
        value=value,
    )


def _one_number(answer: CheckQuery, relations: Mapping[str, Sequence[str]]) -> CheckQuery:
    """The answer if its query passes the SELECT policy and selects one value."""
    if answer.status == "cannot":
        return answer
    checked = check_select(answer.query, relations=relations)
    selected = checked.selects
    if len(selected) != 1 or selected[0].is_star:
        raise PolicyViolation(
            f"The query selects {len(selected)} columns: it must return a single number "
            "(one column, e.g. SELECT COUNT(*) FROM ...)."
        )
    one_row = (
        isinstance(checked, exp.Select)
        and not checked.args.get("group")
        and selected[0].find(exp.AggFunc) is not None
    )
    if not one_row:
        raise PolicyViolation(
            "The query must return one row: select an aggregate such as COUNT(*), SUM or MAX, "
            "without GROUP BY."
        )
    return answer
