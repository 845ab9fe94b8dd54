"""Artifacts built straight from the pydantic models (no database), ordinary and hostile."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from agents.artifacts import PlanStep, Reject, SourceSnapshot, TableProposal, TableReview
from bot.slack.messages.actions import ButtonRef

HOSTILE = "<!channel> & <@U999> ```\n*bold* `tick` <https://evil.example|click>"

PEOPLE_DDL = (
    "CREATE TABLE `people` (\n  `id` INT NOT NULL,\n  `name` VARCHAR(64),\n"
    "  `age` INT,\n  PRIMARY KEY (`id`)\n)"
)


def ref(stage: str, version: int = 1) -> ButtonRef:
    return ButtonRef(job_id="20250101-abc123", stage=stage, version=version)


def table_proposal(name: str, columns: int = 3) -> TableProposal:
    cols = ",\n".join(f"  `c{i}` VARCHAR(255)" for i in range(columns))
    ddl = f"CREATE TABLE `{name}` (\n  `id` INT NOT NULL,\n{cols},\n  PRIMARY KEY (`id`)\n)"
    return TableProposal(name=name, action="create", ddl=[ddl], relations=[f"{name}_csv"])


def plan_step(table: str, rows: int = 100, expected: int = 90) -> PlanStep:
    return PlanStep(
        table=table,
        select=f"SELECT id, name, age FROM {table}_csv WHERE age >= 21",
        mode="create",
        source_rows=rows,
        expected_rows=expected,
    )


def table_review(name: str, **overrides: object) -> TableReview:
    fields: dict = {
        "name": name,
        "change": "added",
        "rows_added": 870,
        "rows_modified": 0,
        "rows_deleted": 0,
        "rows_before": 0,
        "rows_after": 870,
        "schema_change": True,
        "schema_before": None,
        "schema_after": PEOPLE_DDL.replace("people", name),
        "samples": [{"change": "added", "id": 1, "name": "Ann", "age": 34}],
    }
    return TableReview(**{**fields, **overrides})


def reject(line: int, value: str = "abc") -> Reject:
    return Reject(
        table="people",
        file="people.csv",
        line=line,
        column="age",
        value=value,
        reason="not an integer",
    )


def snapshot(source: str, content: bytes = b"x") -> SourceSnapshot:
    """A local source as the inspection fixed it in the job's folder."""
    return SourceSnapshot(
        source=source,
        origin="local",
        file=f"sources/0123456789abcdef/{source.rsplit('/', 1)[-1]}",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        fetched_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
