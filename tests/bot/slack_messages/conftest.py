"""Fixtures: one ordinary artifact of each kind (see `factories` for the builders)."""

from __future__ import annotations

import pytest

from agents.artifacts import (
    ImportPlan,
    ImportRequest,
    Question,
    Review,
    SchemaProposal,
    TableProposal,
)
from tests.bot.slack_messages.factories import PEOPLE_DDL, plan_step, reject, table_review


@pytest.fixture
def request_artifact() -> ImportRequest:
    return ImportRequest(
        sources=["examples/families/*.csv"],
        database="families",
        where="age >= 21",
        key=["id"],
        mode="create",
        summary="Import every CSV file in examples/families into database families.",
    )


@pytest.fixture
def questions() -> list[Question]:
    return [
        Question(
            id="people_key",
            text="Which column identifies a person?",
            choices=["id", "email", "name"],
            default="id",
            why="It becomes the primary key; duplicates are rejected.",
        ),
        Question(
            id="notes",
            text="What should the import be called?",
            default="families import",
            why="It is the commit message.",
        ),
    ]


@pytest.fixture
def proposal() -> SchemaProposal:
    return SchemaProposal(
        tables=[
            TableProposal(name="people", action="create", ddl=[PEOPLE_DDL], relations=["people"]),
            TableProposal(name="towns", action="existing", relations=["towns"]),
        ],
        notes=["people.id is unique in every file, so it is the key."],
    )


@pytest.fixture
def plan() -> ImportPlan:
    return ImportPlan(
        steps=[plan_step("people", 1000, 870), plan_step("towns", 12, 12)],
        checks=["age >= 21"],
        notes=["130 people are younger than 21 and are left out."],
    )


@pytest.fixture
def review() -> Review:
    return Review(
        job_id="20250101-abc123",
        database="families",
        branch="import/20250101-abc123",
        commit="0123456789abcdef0123",
        tables=[table_review("people")],
        rejected_rows=2,
        rejects=[reject(7), reject(12, "twelve")],
        checks_passed=["source rows = loaded + filtered + rejected", "every row has age >= 21"],
    )
