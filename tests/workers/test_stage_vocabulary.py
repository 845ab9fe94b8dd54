"""Every stage, step, action and status name comes from the stage table's enums.

A name written as a bare string elsewhere would be one more place to change when a stage is
added or renamed; this test fails on any such string in `workers/` and `bot/`, with its file
and line. Words people type that happen to match ("cancel", "approve") live in constants named
`…_WORDS` and are not names.
"""

from __future__ import annotations

import ast
from pathlib import Path

from workers.stage_table import STAGES, STEPS, Action, Stage, Step
from workers.states import Status

ROOT = Path(__file__).resolve().parents[2]
TABLES = {ROOT / "workers" / "stage_table.py", ROOT / "workers" / "states.py"}
VOCABULARY = {e.value for enum in (Stage, Step, Action, Status) for e in enum}


def _not_names(tree: ast.AST) -> set[int]:
    """Docstrings, and the strings of constants that list words people type."""
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            ids.add(id(first.value))
        if isinstance(node, ast.Assign) and all(
            isinstance(target, ast.Name) and target.id.endswith("_WORDS") for target in node.targets
        ):
            ids |= {id(inner) for inner in ast.walk(node.value)}
    return ids


def _bare_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    not_names = _not_names(tree)
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in VOCABULARY
        and id(node) not in not_names
    ]


def test_no_stage_step_action_or_status_name_is_written_outside_the_table():
    files = sorted(
        p for folder in ("workers", "bot") for p in (ROOT / folder).rglob("*.py") if p not in TABLES
    )
    assert len(files) > 30
    found = [hit for path in files for hit in _bare_names(path)]
    assert found == [], "use the enums of workers/stage_table.py:\n" + "\n".join(found)


def test_the_scan_would_see_a_bare_name():
    sample = ROOT / "workers" / "_sample_for_the_scan.py"
    sample.write_text(
        '"""doc: review"""\nNEXT = {"schema": "propose_schema"}\nYES_WORDS = ("approve",)\n'
    )
    try:
        assert _bare_names(sample) == [
            "workers/_sample_for_the_scan.py:2: 'schema'",
            "workers/_sample_for_the_scan.py:2: 'propose_schema'",
        ]
    finally:
        sample.unlink()


def test_every_stage_and_step_has_one_row_and_every_step_a_function_and_a_task():
    from workers import steps, tasks

    assert [row.stage for row in STAGES] == list(Stage)
    assert [row.step for row in STEPS] == list(Step)
    assert set(steps.STEP_FUNCTIONS) == set(Step)
    assert {task.name for task in tasks.TASKS.values()} == {row.task_name for row in STEPS}
    for row in STAGES:  # every stage is made by a step, every decision owes a step
        assert row.made_by in Step
        assert all(step in Step for step in row.decisions.values())
