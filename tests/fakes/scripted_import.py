"""What a model answers, stage by stage, for "the grown-ups of families/people.csv": built from
the real baseline so the scripted plan is valid for the data (for ScriptedOpenAI)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agents import pipeline
from agents.artifacts import FollowUpQuestions, ImportRequest, Question
from agents.sources.resolve import SourcePolicy
from agents.stages.schema import SchemaRevision
from dolt import open_server

KEY_QUESTION = Question(
    id="people_key",
    text="Which column identifies a person?",
    choices=["id", "name"],
    default="id",
    why="It becomes the primary key.",
)


def grown_ups_script(
    *,
    data_root: Path,
    scratch: Path,
    folder: str = "families",
    questions: Sequence[Question] = (KEY_QUESTION,),
) -> list:
    """understand → ask (`questions`) → propose_schema (no edits) → plan, for
    `<folder>/people.csv` under `data_root`."""
    understood = ImportRequest(
        sources=[f"{folder}/people.csv"],
        database="families",
        table="people",
        where="age >= 21",
        summary="Import the people aged 21 or older into families.people.",
    )
    with open_server(f"doltlite:{scratch / 'dbs'}") as server:
        database = server.database(name="families", create=True)
        inspection, staging = pipeline.inspect(
            understood,
            database=database,
            policy=SourcePolicy(roots=(data_root,)),
            workdir=scratch / "job",
        )
        try:
            plan = pipeline.plan(
                understood,
                inspection,
                pipeline.baseline_schema(understood, inspection),
                staging=staging,
                database=database,
            )
        finally:
            staging.close()
    return [understood, FollowUpQuestions(questions=list(questions)), SchemaRevision(), plan]
