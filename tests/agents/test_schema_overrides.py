"""Schema overrides in the request (types, renames, tables left out, columns added to another
table) are applied by the baseline with no model: the DDL on the branch and the loaded rows."""

import shutil
from pathlib import Path

import pytest

from agents.artifacts import ColumnMove, ColumnType, Rename
from agents.errors import ProposalInvalid
from agents.execution.ledger import without_ledger
from agents.stages.grammar import parse_request
from tests.agents.test_import_pipeline import run_import
from tests.conftest import REQUESTER

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
FAMILIES = 'Import all CSV files in families into the database "families". Create tables as needed.'


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(EXAMPLES, root / "families")
    return root


def _import(text, doltlite_server, data_root, tmp_path):
    database, schema, plan, review = run_import(
        text, server=doltlite_server, root=data_root, tmp_path=tmp_path
    )
    statements = without_ledger(database.create_statements(ref=review.branch))
    counts = {t.name: t.rows_added for t in review.tables}
    return database, schema, plan, review, statements, counts


def test_a_type_a_table_rename_and_a_skipped_table_shape_the_branch(
    doltlite_server, data_root, tmp_path
):
    text = (
        f"{FAMILIES} type people.age INT. rename table marriages to weddings. "
        "don't import birthdays."
    )
    overrides = parse_request(text).overrides
    assert overrides.types == [ColumnType(column="people.age", type="INT")]
    assert overrides.renames == [Rename(kind="table", old="marriages", new="weddings")]
    assert overrides.skip_tables == ["birthdays"]

    _, schema, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    assert counts == {"people": 50, "parents": 44, "weddings": 21}
    assert set(statements) == {"people", "parents", "weddings"}
    assert "`age` INT," in statements["people"]  # TINYINT without the override
    assert "FOREIGN KEY (`person1_id`) REFERENCES `people` (`id`)" in statements["weddings"]
    assert {step.table for step in plan.steps} == {"people", "parents", "weddings"}
    assert "people.age is INT, as asked." in schema.notes
    assert "marriages is called weddings, as asked." in schema.notes
    assert "birthdays is not imported, as asked." in schema.notes
    assert review.rejected_rows == 0


def test_a_bare_column_type_applies_to_every_table_holding_it(doltlite_server, data_root, tmp_path):
    text = f"{FAMILIES} type person_id BIGINT."
    assert parse_request(text).overrides.types == [ColumnType(column="person_id", type="BIGINT")]
    _, schema, _, _, statements, counts = _import(text, doltlite_server, data_root, tmp_path)
    assert "`person_id` BIGINT NOT NULL" in statements["parents"]
    assert "`person_id` BIGINT" in statements["birthdays"]
    assert "`person_id`" not in statements["people"]
    assert counts["parents"] == 44 and counts["birthdays"] == 50
    assert "birthdays.person_id is BIGINT, as asked." in schema.notes


def test_a_column_rename_changes_the_ddl_and_the_select(doltlite_server, data_root, tmp_path):
    text = f"{FAMILIES} rename column people.name to full_name."
    assert parse_request(text).overrides.renames == [
        Rename(kind="column", old="people.name", new="full_name")
    ]
    database, schema, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    assert "`full_name` VARCHAR" in statements["people"]
    assert "`name`" not in statements["people"]
    (step,) = [s for s in plan.steps if s.table == "people"]
    assert "`name` AS `full_name`" in step.select
    assert counts["people"] == 50
    assert (
        database.count_rows(table="people", ref=review.branch, where="full_name IS NOT NULL") == 50
    )
    assert "people.name is called full_name, as asked." in schema.notes


def test_added_columns_go_into_the_other_table_joined_on_its_key(
    doltlite_server, data_root, tmp_path
):
    text = f"{FAMILIES} add date_of_birth from birthdays to people."
    assert parse_request(text).overrides.add_columns == [
        ColumnMove(columns=["date_of_birth"], from_table="birthdays", to_table="people")
    ]
    database, schema, _, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    assert "birthdays" not in statements
    assert "`date_of_birth` DATE" in statements["people"]
    assert "`person_id`" not in statements["people"]
    assert counts == {"people": 50, "parents": 44, "marriages": 21}
    assert (
        database.count_rows(table="people", ref=review.branch, where="date_of_birth IS NOT NULL")
        == 50
    )
    assert any(n.startswith("date_of_birth from birthdays added to people") for n in schema.notes)


@pytest.mark.parametrize(
    ("override", "said"),
    [
        ("don't import pets", "there is no table 'pets'; the proposed tables are"),
        ("rename table pets to animals", "there is no table 'pets'"),
        ("type people.height INT", "table 'people' has no column 'height'; its columns are id"),
        ("type height INT", "no proposed table has a column 'height'; the tables are"),
        ("rename column people.nick to alias", "table 'people' has no column 'nick'"),
        ("add height from birthdays to people", "'birthdays' has no column height"),
    ],
)
def test_a_name_that_matches_nothing_says_what_exists(
    override, said, doltlite_server, data_root, tmp_path
):
    with pytest.raises(ProposalInvalid) as error:
        run_import(
            f"{FAMILIES} {override}.", server=doltlite_server, root=data_root, tmp_path=tmp_path
        )
    assert said in str(error.value)
    assert "people" in str(error.value)


PEOPLE_ON_MAIN = (
    "CREATE TABLE people (id INT NOT NULL, name VARCHAR(80), age TINYINT, PRIMARY KEY (id))"
)


def _people_on_main(server):
    """`people` on main with two rows of its own (ids the CSV does not use)."""
    database = server.database(name="families", create=True)
    with database.write_session(branch="main") as session:
        session.execute_ddl(sql=PEOPLE_ON_MAIN)
        session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=[(101, "Ada", 36), (102, "Bo", 7)]
        )
        session.commit(message="people on main", author=REQUESTER)
    return database


PEOPLE_INTO_MAIN = 'Import families/people.csv into the database "families" table people.'


def test_a_type_and_a_column_rename_alter_a_table_on_main(doltlite_server, data_root, tmp_path):
    _people_on_main(doltlite_server)
    text = f"{PEOPLE_INTO_MAIN} type people.age INT. rename column people.name to full_name."
    database, schema, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    (people,) = schema.tables
    assert people.action == "alter"
    assert people.ddl == [
        "ALTER TABLE `people` RENAME COLUMN `name` TO `full_name`",
        "ALTER TABLE `people` MODIFY COLUMN `age` INT",
    ]
    assert "`full_name` VARCHAR(80)" in statements["people"]
    assert "`age` INT" in statements["people"] and "`name`" not in statements["people"]
    assert "`name` AS `full_name`" in plan.steps[0].select
    assert counts == {"people": 50}
    assert database.count_rows(table="people", ref=review.branch) == 52
    assert (
        database.count_rows(table="people", ref=review.branch, where="full_name IS NOT NULL") == 52
    )
    assert "people.age becomes INT: every value it holds fits." in schema.notes
    assert "people.name is called full_name, as asked." in schema.notes


def test_a_type_the_values_on_main_may_not_fit_is_left_out_saying_why(
    doltlite_server, data_root, tmp_path
):
    _people_on_main(doltlite_server)
    text = f"{PEOPLE_INTO_MAIN} type people.name INT."
    _, schema, _, review, statements, counts = _import(text, doltlite_server, data_root, tmp_path)
    (people,) = schema.tables
    assert people.action == "existing" and people.ddl == []
    assert "`name` VARCHAR(80)" in statements["people"]
    assert counts == {"people": 50} and review.rejected_rows == 0
    assert any(
        note.startswith("people.name stays VARCHAR(80), not INT as asked") for note in schema.notes
    )
    assert "people.name is INT, as asked." not in schema.notes


def test_a_renamed_key_is_renamed_in_the_key_the_references_and_the_plan(
    doltlite_server, data_root, tmp_path
):
    text = (
        f"{FAMILIES} rename column people.id to person_key. "
        "add date_of_birth from birthdays to people."
    )
    database, _, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    assert "PRIMARY KEY (`person_key`)" in statements["people"]
    assert "`id`" not in statements["people"]
    assert "REFERENCES `people` (`person_key`)" in statements["parents"]
    assert "REFERENCES `people` (`person_key`)" in statements["marriages"]
    (step,) = [s for s in plan.steps if s.table == "people"]
    assert "d.`id` AS `person_key`" in step.select
    assert "LEFT JOIN `birthdays` AS j0 ON j0.`person_id` = d.`id`" in step.select
    assert counts == {"people": 50, "parents": 44, "marriages": 21}
    assert (
        database.count_rows(table="people", ref=review.branch, where="date_of_birth IS NOT NULL")
        == 50
    )
    for table in ("parents", "marriages"):
        assert database.foreign_key_violations(table=table, ref=review.branch) == 0


def test_added_columns_bring_only_the_named_columns(doltlite_server, data_root, tmp_path):
    rows = "\n".join(f"{i},{150 + i},{36 + i % 10}" for i in range(1, 51))
    (data_root / "families" / "sizes.csv").write_text(f"person_id,height_cm,shoe_size\n{rows}\n")
    text = f"{FAMILIES} add height_cm from sizes to people."
    database, schema, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    assert "sizes" not in statements
    assert "`height_cm` " in statements["people"]
    assert "shoe_size" not in statements["people"] and "`person_id`" not in statements["people"]
    (step,) = [s for s in plan.steps if s.table == "people"]
    assert "shoe_size" not in step.select
    assert counts["people"] == 50 and review.rejected_rows == 0
    assert (
        database.count_rows(table="people", ref=review.branch, where="height_cm = 150 + id") == 50
    )
    assert any(
        note.startswith("height_cm from sizes added to people (joined on person_id)")
        and note.endswith("its other columns shoe_size are left out.")
        for note in schema.notes
    )


def test_the_key_of_a_table_on_main_keeps_its_name_saying_why(doltlite_server, data_root, tmp_path):
    _people_on_main(doltlite_server)
    text = (
        'Import families/people.csv, families/parents.csv into the database "families". '
        "rename column people.id to person_key."
    )
    database, schema, plan, review, statements, counts = _import(
        text, doltlite_server, data_root, tmp_path
    )
    people = next(t for t in schema.tables if t.name == "people")
    assert people.action == "existing" and people.ddl == []
    assert "PRIMARY KEY (`id`)" in statements["people"]
    assert "REFERENCES `people` (`id`)" in statements["parents"]
    (step,) = [s for s in plan.steps if s.table == "people"]
    assert "person_key" not in step.select
    assert counts == {"people": 50, "parents": 44}
    assert database.foreign_key_violations(table="parents", ref=review.branch) == 0
    assert any(
        note.startswith("people.id keeps its name, not person_key as asked")
        for note in schema.notes
    )
    assert "people.id is called person_key, as asked." not in schema.notes
