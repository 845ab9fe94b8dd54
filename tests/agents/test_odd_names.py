"""Hostile or odd names never abort an import (issue 12, point 11), through the real pipeline.

Files and columns named like Dolt's and SQLite's own tables (``dolt_…``, ``sqlite_…``, any case)
are renamed with a note in the schema proposal; zip members whose names clash import under
distinct names, or the archive is refused naming the member and why.
"""

import json
import zipfile

import pytest

from agents.errors import ArchiveRefused
from tests.agents.test_import_pipeline import run_import


def test_files_and_columns_with_reserved_prefixes_are_renamed_with_a_note(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    root.mkdir()
    (root / "DOLT_log.csv").write_text("id,dolt_commit,SQLITE_MASTER,name\n1,a,b,c\n2,d,e,f\n")
    database, schema, _, review = run_import(
        "import DOLT_log.csv into database zoo",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    (table,) = schema.tables
    assert table.name == "t_dolt_log"
    why = "names starting with dolt_, sqlite_ or importbot_ are Dolt's or this tool's own"
    assert schema.notes[:2] == [
        f"DOLT_log.csv gets the name t_dolt_log ({why})",
        f"DOLT_log.csv: column 'dolt_commit' renamed to c_dolt_commit, 'SQLITE_MASTER' renamed "
        f"to c_sqlite_master ({why})",
    ]
    assert {t.name: t.rows_added for t in review.tables} == {"t_dolt_log": 2}
    assert database.column_values(table="t_dolt_log", column="c_sqlite_master", ref=review.branch)
    assert "`c_dolt_commit`" in database.create_statements(ref=review.branch)["t_dolt_log"]


def test_a_json_key_with_a_reserved_prefix_is_renamed(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    records = [{"id": 1, "Dolt_Hash": "x", "sqlite_seq": 3}, {"id": 2, "Dolt_Hash": "y"}]
    (root / "items.json").write_text(json.dumps(records))
    database, schema, _, review = run_import(
        "import items.json into database shop", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    assert any("'Dolt_Hash' renamed to c_dolt_hash" in note for note in schema.notes)
    assert any("'sqlite_seq' renamed to c_sqlite_seq" in note for note in schema.notes)
    values = database.column_values(table="items", column="c_dolt_hash", ref=review.branch)
    assert sorted(values) == ["x", "y"]


def zip_of(path, members: dict[str, str]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_zip_members_of_the_same_name_in_two_folders_import_under_distinct_names(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    root.mkdir()
    zip_of(
        root / "exports.zip",
        {
            "2023/people.csv": "id,name\n1,a\n2,b\n",
            "2024/people.csv": "id,name\n3,c\n",
            "My File.csv": "id,x\n1,2\n",
            "my_file.csv": "id,y\n5,6\n",
        },
    )
    _, schema, _, review = run_import(
        "import exports.zip into database zoo", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    assert schema.notes[:2] == [
        "exports.zip:2024/people.csv gets the name people_2: exports.zip:2023/people.csv is people",
        "exports.zip:my_file.csv gets the name my_file_2: exports.zip:My File.csv is my_file",
    ]
    added = {t.name: t.rows_added for t in review.tables}
    assert sorted(added.values()) == [1, 1, 1, 2] and sum(added.values()) == 5
    assert {"people", "people_2", "my_file", "my_file_2"} == set(added)
    assert review.rejected_rows == 0


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"a.csv": "id\n1\n", "a.csv/b.csv": "id\n2\n"},
            "clash.zip holds a.csv both as a file and as the folder of a.csv/b.csv; rename one",
        ),
        (
            {"people.csv": "id\n1\n", "./people.csv": "id\n2\n"},
            "clash.zip holds ./people.csv twice",
        ),
    ],
)
def test_zip_members_that_cannot_both_be_unpacked_are_named_with_the_reason(
    doltlite_server, tmp_path, members, message
):
    root = tmp_path / "data"
    root.mkdir()
    zip_of(root / "clash.zip", members)
    with pytest.raises(ArchiveRefused) as refused:
        run_import(
            "import clash.zip into database zoo",
            server=doltlite_server,
            root=root,
            tmp_path=tmp_path,
        )
    assert str(refused.value).startswith(message)
