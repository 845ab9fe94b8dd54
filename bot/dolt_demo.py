"""The Dolt-layer walk-through behind `importbot demo` (until the importer exists).

It does what every import will do: branch from main, write on the branch only, review the
three-dot diff, preview the merge, merge with an author. Each run adds to the last one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dolt.interface import Database
from dolt.models import Author, ConflictPreview, DiffSummary, MergeResult, RowChange, WriteMode

PEOPLE_DDL = (
    "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL, age INT, "
    "KEY people_age (age))"
)
FIRST_PEOPLE = [
    (1, "Ada", 36),
    (2, "Grace", 45),
    (3, "Alan", 41),
    (4, "Edsger", 19),
    (5, "Barbara", 23),
]
DEMO_AUTHOR = Author(name="importbot demo", email="demo@importbot.invalid")


@dataclass(frozen=True)
class DemoRun:
    branch: str
    summary: DiffSummary
    samples: list[RowChange]
    preview: ConflictPreview
    merge: MergeResult
    main_rows: dict[str, int]


def run_demo(database: Database, *, author: Author = DEMO_AUTHOR) -> DemoRun:
    branch = f"import/demo-{uuid.uuid4().hex[:8]}"
    database.create_branch(name=branch, start="main")
    with database.write_session(branch=branch) as session:
        if "people" not in database.list_tables():
            session.execute_ddl(sql=PEOPLE_DDL)
            rows = FIRST_PEOPLE
        else:
            rows = _next_people(database)
        session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=rows, mode=WriteMode.UPSERT
        )
        session.commit(message=f"Demo import on {branch}", author=author)
    summary = database.diff_summary(branch=branch)
    samples = list(database.diff_rows(table="people", branch=branch, limit=5))
    preview = database.preview_merge(branch=branch)
    merge = database.merge(branch=branch, message=f"Merge {branch}", author=author)
    database.delete_branch(name=branch)
    return DemoRun(
        branch=branch,
        summary=summary,
        samples=samples,
        preview=preview,
        merge=merge,
        main_rows=database.row_counts(),
    )


def _next_people(database: Database) -> list[tuple[int, str, int]]:
    """A birthday for the youngest person and one newcomer: rows modified and added."""
    count = database.row_counts()["people"]
    youngest_id = 4
    return [
        (youngest_id, "Edsger", 19 + count - 4),
        (count + 1, f"Newcomer {count + 1}", 20 + count),
    ]
