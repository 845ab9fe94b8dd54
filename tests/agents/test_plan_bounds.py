"""Untrusted SQL runs with bounded cost: the job's DuckDB has a memory limit and a thread cap,
and measuring a plan SELECT stops at a time limit with a refusal in words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.artifacts import ImportPlan, PlanStep, SchemaProposal, TableProposal
from agents.errors import PlanTooCostly
from agents.stages.plan import validate
from agents.staging.connection import DuckdbLimits, configure_connection, open_duckdb

PEOPLE_DDL = "CREATE TABLE `people` (`id` INT NOT NULL, `name` VARCHAR(200), PRIMARY KEY (`id`))"
RELATIONS = {"people": ["id", "name", "grp"]}
SIX_WAY_SELF_JOIN = (  # every row has grp 1: 50^6 = 15.6 billion rows, all equi-joins
    "SELECT a.id AS id, a.name AS name FROM people AS a"
    + "".join(f" JOIN people AS {t} ON {t}.grp = a.grp" for t in "bcdef")
)


def settings(con) -> tuple[str, int]:
    row = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')")
    return tuple(row.fetchone())


@pytest.fixture
def people(tmp_path: Path) -> Iterator:
    con = open_duckdb(workdir=tmp_path, limits=DuckdbLimits(memory_limit="64MB", threads=2))
    con.execute(
        "CREATE TABLE people AS SELECT i AS id, 'person ' || i || repeat('x', 200) AS name, "
        "1 AS grp, i + 1 AS __record FROM range(50) AS t(i)"
    )
    yield con
    con.close()


def plan_of(select: str) -> ImportPlan:
    step = PlanStep(
        table="people",
        select=select,
        mode="create",
        relation="people",
        source_rows=0,
        expected_rows=0,
    )
    return ImportPlan(steps=[step])


def measure(con, select: str, *, count_seconds: float = 30.0) -> ImportPlan:
    return validate(
        plan_of(select),
        schema=SchemaProposal(
            tables=[
                TableProposal(
                    name="people", action="create", ddl=[PEOPLE_DDL], relations=["people"]
                )
            ]
        ),
        target_schemas={"people": PEOPLE_DDL},
        relations=RELATIONS,
        duckdb=con,
        count_seconds=count_seconds,
    )


def test_a_jobs_duckdb_has_a_memory_limit_and_two_threads_by_default(tmp_path: Path) -> None:
    with open_duckdb(workdir=tmp_path) as con:
        assert settings(con) == ("244.1 MiB", 2)  # 256MB


def test_the_limits_are_those_given_and_staging_more_files_keeps_them(tmp_path: Path) -> None:
    with open_duckdb(workdir=tmp_path, limits=DuckdbLimits(memory_limit="100MB", threads=1)) as con:
        configure_connection(con, workdir=tmp_path)  # what staging each file does

        assert settings(con) == ("95.3 MiB", 1)


def test_a_select_that_needs_more_memory_than_the_limit_is_refused_in_words(people) -> None:
    hoarding = (  # 50 groups of 125,000 names of 200 characters, 1.3 GB: beyond 64 MB
        "SELECT a.id AS id, MAX(a.name) AS name FROM people AS a"
        + "".join(f" JOIN people AS {t} ON {t}.grp = a.grp" for t in "bcd")
        + " GROUP BY a.id HAVING LENGTH(GROUP_CONCAT(b.name)) > 0"
    )
    with pytest.raises(PlanTooCostly) as refused:
        measure(people, hoarding)

    assert "The SELECT for 'people' needs more memory than the job's DuckDB may use" in str(
        refused.value
    )
    assert "Out of Memory" in str(refused.value)
    assert people.execute("SELECT count(*) FROM people").fetchone() == (50,)  # still usable


def test_counting_a_six_way_self_join_is_refused_within_the_time_limit(people) -> None:
    started = time.monotonic()
    with pytest.raises(PlanTooCostly) as refused:
        measure(people, SIX_WAY_SELF_JOIN, count_seconds=0.5)
    took = time.monotonic() - started

    assert took < 2.0, took
    assert str(refused.value).startswith(
        "The SELECT for 'people' did not finish counting within 0.5 s; it may join rows "
        "without a key"
    )
    assert people.execute("SELECT count(*) FROM people").fetchone() == (50,)  # still usable


def test_a_plan_within_the_limits_is_measured(people) -> None:
    (step,) = measure(people, "SELECT id, name FROM people WHERE id < 21", count_seconds=5).steps

    assert (step.source_rows, step.expected_rows) == (50, 21)
