"""What a merge does to main, in the one sentence the confirm dialog and `importbot merge` say."""

from __future__ import annotations

from agents.artifacts import Review, TableReview
from agents.merge_impact import CONFIRM_TEXT_LIMIT, merge_impact


def _table(name: str, added: int = 0, modified: int = 0, deleted: int = 0, **more) -> TableReview:
    fields = {
        "name": name,
        "change": "modified",
        "rows_added": added,
        "rows_modified": modified,
        "rows_deleted": deleted,
        "rows_before": 10,
        "rows_after": 10 + added - deleted,
        "schema_change": False,
        "schema_before": None,
        "schema_after": None,
    }
    return TableReview(**{**fields, **more})


def _review(*tables: TableReview) -> Review:
    return Review(
        job_id="j", database="families", branch="import/j", commit=None, tables=list(tables),
        rejected_rows=0, rejects=[],
    )  # fmt: skip


def test_each_changed_table_is_said_with_its_added_changed_and_deleted_rows():
    review = _review(
        _table("people", added=50, modified=3),
        _table("pets", added=1, deleted=1_200),
        _table("untouched"),
        _table("towns", schema_change=True),
    )
    assert merge_impact(review) == (
        "Adds 50 rows to people, changes 3, deletes 0; adds 1 row to pets, changes 0, deletes "
        "1,200; adds 0 rows to towns, changes 0, deletes 0 and changes its columns"
    )


def test_nothing_changed_is_said_too():
    assert merge_impact(_review(_table("people"))) == "Changes no rows on main"


def test_sixty_tables_fit_the_confirm_dialog_naming_the_first_few_then_how_many_more():
    review = _review(
        *(_table(f"table_with_a_long_name_{i:02}", added=1_000 + i) for i in range(60))
    )
    text = merge_impact(review)
    assert len(text) <= CONFIRM_TEXT_LIMIT
    assert text.startswith("Adds 1,000 rows to table_with_a_long_name_00, changes 0, deletes 0; ")
    shown = text.count("adds ") + 1
    assert 2 <= shown < 60 and text.endswith(f"; and {60 - shown} more tables")
    assert merge_impact(review, limit=20) == "Changes 60 tables"


def test_names_are_written_by_the_caller():
    review = _review(_table("<!here>", added=2))
    said = merge_impact(review, name=lambda n: n.replace("<", "&lt;").replace(">", "&gt;"))
    assert said == "Adds 2 rows to &lt;!here&gt;, changes 0, deletes 0"
