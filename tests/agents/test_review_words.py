"""The review in words every surface shows: the verdict, the totals, the schema change in short."""

from agents.artifacts import Review, TableReview, TestOutcome
from agents.review_words import schema_words, table_changes, totals, verdict

PEOPLE = (
    "CREATE TABLE `people` (\n  `id` INT NOT NULL,\n  `name` VARCHAR(32),\n  `age` TINYINT,\n"
    "  PRIMARY KEY (`id`)\n)"
)
PARENTS = (
    "CREATE TABLE `parents` (\n  `person_id` INT NOT NULL,\n  `mother_id` INT,\n"
    "  `father_id` INT,\n  PRIMARY KEY (`person_id`),\n"
    "  FOREIGN KEY (`person_id`) REFERENCES `people` (`id`),\n"
    "  FOREIGN KEY (`mother_id`) REFERENCES `people` (`id`),\n"
    "  FOREIGN KEY (`father_id`) REFERENCES `people` (`id`)\n)"
)


def _table(schema_before, schema_after, **counts) -> TableReview:
    return TableReview(
        name="t",
        change="added" if schema_before is None else "modified",
        rows_added=counts.get("added", 0),
        rows_modified=counts.get("modified", 0),
        rows_deleted=counts.get("deleted", 0),
        rows_before=counts.get("before", 0),
        rows_after=counts.get("after", 0),
        schema_change=schema_before != schema_after,
        schema_before=schema_before,
        schema_after=schema_after,
    )


def _review(**fields) -> Review:
    return Review(
        **{
            "job_id": "j",
            "database": "d",
            "branch": "import/j",
            "commit": None,
            "tables": [],
            "rejected_rows": 0,
            "rejects": [],
            **fields,
        }
    )


def test_a_new_table_is_its_columns_key_and_references():
    assert schema_words(_table(None, PEOPLE)) == "new table, 3 columns, key id"
    assert schema_words(_table(None, PARENTS)) == (
        "new table, 3 columns, key person_id, references people.id"
    )
    assert schema_words(_table(None, "CREATE TABLE `x` (`a` INT)")) == (
        "new table, 1 column, no key"
    )


def test_a_changed_table_lists_what_changed():
    added = PEOPLE.replace("  PRIMARY KEY", "  `date_of_birth` DATE,\n  PRIMARY KEY")
    assert schema_words(_table(PEOPLE, added)) == "column date_of_birth added (DATE)"
    retyped = PEOPLE.replace("`age` TINYINT", "`age` INT")
    assert schema_words(_table(PEOPLE, retyped)) == "column age TINYINT → INT"
    rekeyed = PEOPLE.replace("PRIMARY KEY (`id`)", "PRIMARY KEY (`name`)").replace(
        "`name` VARCHAR(32)", "`name` VARCHAR(32) NOT NULL"
    )
    assert schema_words(_table(PEOPLE, rekeyed)) == "key id → name"
    without = PARENTS.replace(",\n  FOREIGN KEY (`father_id`) REFERENCES `people` (`id`)", "")
    assert schema_words(_table(PARENTS, without)) == "father_id no longer references people.id"
    assert schema_words(_table(PEOPLE, PEOPLE)) == "schema unchanged"
    assert schema_words(_table(PEOPLE, None)) == "table dropped"


def test_row_changes_and_totals_count_every_kind():
    upsert = _table(PEOPLE, PEOPLE, added=1, modified=3, before=50, after=51)
    assert table_changes(upsert) == "+1 added, 3 modified, 0 deleted (50 → 51 rows)"
    assert table_changes(_table(None, PEOPLE, added=1, after=1)) == "1 row added"
    review = _review(tables=[upsert], rejected_rows=2, filtered_rows=5)
    assert totals(review) == "1 row added, 3 modified, 0 deleted · 2 rejected · 5 filtered out"


def test_the_verdict_says_what_ran_or_what_blocks():
    passing = TestOutcome(name="a", group="g", query="q", status="PASS")
    ready = verdict(_review(checks_passed=["x"], tests=[passing]))
    assert (ready.ready, ready.sentence) == (
        True,
        "Ready to merge: 1 check passed; 1 Dolt test passes; merges cleanly into main",
    )
    failing = TestOutcome(name="b", group="g", query="q", status="FAIL", message="got 1")
    blocked = verdict(
        _review(tests=[passing, failing], conflicts=["Dolt test 'b' fails: got 1", "t: 1 conflict"])
    )
    assert not blocked.ready
    assert blocked.reasons == ["Dolt test 'b' fails: got 1", "t: 1 conflict"]  # said once
