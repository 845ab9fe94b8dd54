"""Rows Dolt's merge would add a second time, on real doltlite files: two branches that each
add the same rows to a table without a key merge cleanly and double them; `repeated_rows`
finds them before, counted row for row, and a keyed table is left to Dolt."""

from dolt.repeated_rows import repeated_rows
from tests.conftest import MERGER, REQUESTER

VISITS = "CREATE TABLE visits (city VARCHAR(20), n INT)"


def _add(database, branch, rows, table="visits", columns=("city", "n")):
    database.create_branch(name=branch)
    with database.write_session(branch=branch) as session:
        session.insert_rows(table=table, columns=list(columns), rows=rows)
        session.commit(message=f"add to {table}", author=REQUESTER)


def _with_visits(families):
    with families.write_session(branch="main") as session:
        session.execute_ddl(sql=VISITS)
        session.insert_rows(table="visits", columns=["city", "n"], rows=[("Oslo", 1)])
        session.commit(message="visits", author=REQUESTER)
    return families


def test_rows_both_sides_added_are_counted_row_for_row(families):
    database = _with_visits(families)
    _add(database, "import/a", [("Rome", 5), ("Rome", 5), ("Rome", 5), ("Pisa", 2)])
    _add(database, "import/b", [("Rome", 5), ("Pisa", 2), ("Nice", 9)])
    assert repeated_rows(database, branch="import/b") == ()  # main holds neither yet
    database.merge(branch="import/a", message="merge a", author=MERGER)
    (found,) = repeated_rows(database, branch="import/b")
    assert (found.table, found.count) == ("visits", 2)  # one Rome and the Pisa, not Nice
    assert database.preview_merge(branch="import/b").clean  # Dolt itself sees no conflict


def test_rows_main_held_before_the_fork_do_not_count(families):
    database = _with_visits(families)
    _add(database, "import/a", [("Oslo", 1)])  # main already had Oslo, 1 before the fork
    assert repeated_rows(database, branch="import/a") == ()


def test_a_keyed_table_is_left_to_dolts_merge(families):
    _add(families, "import/a", [(90, "Ann", 30)], table="people", columns=("id", "name", "age"))
    _add(families, "import/b", [(90, "Ann", 30)], table="people", columns=("id", "name", "age"))
    families.merge(branch="import/a", message="merge a", author=MERGER)
    assert repeated_rows(families, branch="import/b") == ()
