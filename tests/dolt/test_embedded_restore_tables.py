"""A session sets tables back to how a commit has them (what a revision of an import starts
from): rows and schema come back, a table the commit lacks is dropped, history stays."""

from dolt.models import WriteMode
from tests.conftest import REQUESTER


def test_tables_go_back_to_the_base_and_the_branch_keeps_its_commits(families, doltlite_server):
    base = families.create_branch(name="import/1").head
    with families.write_session(branch="import/1") as session:
        session.execute_ddl(sql="ALTER TABLE people ADD COLUMN city VARCHAR(40)")
        session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=[(11, "Eleven", 30)]
        )
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner INT NOT NULL, "
            "FOREIGN KEY (owner) REFERENCES people (id))"
        )
        session.insert_rows(table="pets", columns=["id", "owner"], rows=[(1, 11)])
        first = session.commit(message="revision 1", author=REQUESTER)

        session.restore_tables(ref=base, tables=["people"], drop=["pets"])
        session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=[(12, "Twelve", 40)],
            mode=WriteMode.APPEND,
        )
        second = session.commit(message="revision 2", author=REQUESTER)

    assert [c for c, _ in families.commits(ref="import/1")][:2] == [second, first]
    assert families.list_tables(ref="import/1") == ["people"]
    assert "city" not in families.create_statements(ref="import/1")["people"]
    assert families.count_rows(table="people", ref="import/1") == 11  # 10 of main + 12
    assert families.count_rows(table="people", ref="import/1", where="id = 11") == 0
    # revision 2 against revision 1 (a connection opened before `first` was made cannot
    # resolve its hash: read it with a new one)
    reopened = doltlite_server.database(name="families")
    since = {t.name: t for t in reopened.diff_summary(branch="import/1", base=first).tables}
    assert set(since) == {"people", "pets"} and since["people"].schema_changed
    assert (since["people"].rows_added, since["people"].rows_deleted) == (1, 1)
    reopened.close()
