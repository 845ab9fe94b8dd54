"""Foreign-key candidates: names propose, containment over whole columns decides."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from agents.artifacts import SourceProfile
from agents.inspection.foreign_keys import find_foreign_keys
from agents.inspection.profiling import profile_relation
from agents.staging.connection import open_duckdb
from agents.staging.stage import relation_name_for, stage_file

FILES = Path(__file__).parent / "fixtures" / "files"

FAMILIES = {
    "people.csv": "id,name,age\n" + "".join(f"{i},Person {i},{20 + 3 * i}\n" for i in range(1, 11)),
    "birthdays.csv": "person_id,date_of_birth\n"
    + "".join(f"{i},19{50 + i}-0{1 + i % 9}-1{i % 9}\n" for i in range(1, 11)),
    "marriages.csv": "person1_id,person2_id,marriage_date,divorce_date\n"
    "1,2,1980-05-01,\n3,4,1990-06-02,2000-01-01\n5,6,1995-07-03,\n",
    "parents.csv": "person_id,mother_id,father_id\n7,2,1\n8,4,3\n9,6,5\n10,2,1\n",
}
EXPECTED = {
    ("birthdays", "person_id"),
    ("marriages", "person1_id"),
    ("marriages", "person2_id"),
    ("parents", "person_id"),
    ("parents", "mother_id"),
    ("parents", "father_id"),
}


@pytest.fixture
def con(tmp_path):
    connection = open_duckdb(workdir=tmp_path / "work")
    yield connection
    connection.close()


def profiles_of(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, files: dict[str, str]
) -> list[SourceProfile]:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    profiles: list[SourceProfile] = []
    taken: set[str] = set()
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        relation = relation_name_for(name, taken=taken)
        taken.add(relation)
        for staged in stage_file(
            con, file=path, source=name, relation=relation, workdir=tmp_path / "work"
        ):
            profiles.append(profile_relation(con, staged=staged))
    return profiles


def pairs(candidates) -> set[tuple[str, str]]:
    return {(fk.relation, fk.columns[0]) for fk in candidates}


def test_families_references_all_point_at_people_id(con, tmp_path):
    candidates = find_foreign_keys(con, profiles=profiles_of(con, tmp_path, FAMILIES))
    assert pairs(candidates) == EXPECTED
    assert {(fk.references_table, tuple(fk.references_columns)) for fk in candidates} == {
        ("people", ("id",))
    }
    assert all(fk.containment == 1.0 and not fk.existing_table for fk in candidates)


def test_references_to_a_table_already_on_main(con, tmp_path):
    staged_only = {name: text for name, text in FAMILIES.items() if name != "people.csv"}
    calls: list[tuple[str, str]] = []

    def fetch(table: str, column: str):
        calls.append((table, column))
        return iter(range(1, 11))

    candidates = find_foreign_keys(
        con,
        profiles=profiles_of(con, tmp_path, staged_only),
        existing_tables={"people": ["id"], "audit": ["year", "seq"]},
        fetch_existing_values=fetch,
    )
    assert pairs(candidates) == EXPECTED
    assert all(fk.existing_table and fk.references_table == "people" for fk in candidates)
    assert calls == [("people", "id")]  # fetched once, composite keys skipped


def test_containment_decides_below_the_threshold(con, tmp_path):
    files = dict(FAMILIES)
    files["parents.csv"] = "person_id,mother_id,father_id\n7,2,1\n8,4,3\n9,6,5\n10,99,1\n"
    profiles = profiles_of(con, tmp_path, files)
    strict = find_foreign_keys(con, profiles=profiles)
    assert ("parents", "mother_id") not in pairs(strict)
    loose = find_foreign_keys(con, profiles=profiles, min_containment=0.7)
    (mother,) = [fk for fk in loose if fk.columns == ["mother_id"]]
    assert mother.containment == 0.75


def test_a_name_that_matches_does_not_make_a_reference_without_the_values(con, tmp_path):
    files = {
        "people.csv": FAMILIES["people.csv"],
        # person_id values are not people ids; age values are people's ages, and people.age is
        # unique, but it is not a reference-like name nor people's primary key.
        "visits.csv": "person_id,age\n11,23\n12,26\n",
    }
    assert find_foreign_keys(con, profiles=profiles_of(con, tmp_path, files)) == []


def test_text_keys_and_a_column_named_like_another_tables_key(con, tmp_path):
    files = {
        "countries.csv": "code,name\nNO,Norway\nSE,Sweden\nIT,Italy\n",
        "books.csv": "isbn,title\n978-1,A\n978-2,B\n",
        "cities.csv": "name,country_code,isbn\nOslo,NO,978-1\nRome,IT,978-2\n",
    }
    candidates = find_foreign_keys(con, profiles=profiles_of(con, tmp_path, files))
    found = {
        (fk.relation, fk.columns[0], fk.references_table, fk.references_columns[0])
        for fk in candidates
    }
    assert ("cities", "country_code", "countries", "code") in found
    assert ("cities", "isbn", "books", "isbn") in found


def test_child_relation_references_its_parent(con, tmp_path):
    staged = stage_file(
        con,
        file=FILES / "nested.json",
        source="nested.json",
        relation="nested",
        workdir=tmp_path / "w",
    )
    profiles = [profile_relation(con, staged=s) for s in staged]
    candidates = find_foreign_keys(con, profiles=profiles)
    assert {
        (fk.relation, fk.columns[0], fk.references_table, fk.references_columns[0])
        for fk in candidates
    } == {
        ("nested__tags", "nested_id", "nested", "id"),
        ("nested__children", "nested_id", "nested", "id"),
    }


def test_tables_whose_own_keys_share_a_name_do_not_reference_each_other(tmp_path):
    import duckdb

    from agents.inspection.foreign_keys import find_foreign_keys
    from agents.inspection.profiling import profile_relation
    from agents.staging.connection import configure_connection
    from agents.staging.stage import stage_file

    con = duckdb.connect()
    configure_connection(con, workdir=tmp_path)
    profiles = []
    for name in ("t00", "t01"):
        path = tmp_path / f"{name}.csv"
        path.write_text("id,value\n1,a\n2,b\n")
        for staged in stage_file(
            con,
            file=path,
            source=path.name,
            relation=name,
            nested_lists="child_tables",
            workdir=tmp_path,
        ):
            profiles.append(profile_relation(con, staged=staged))
    assert all(p.candidate_keys[0] == ["id"] for p in profiles)
    assert find_foreign_keys(con, profiles=profiles) == []


def test_a_role_name_goes_where_its_neighbours_point_or_nowhere(con, tmp_path):
    shops = "id,name\n" + "".join(f"{i},shop {i}\n" for i in range(1, 11))
    files = {"people.csv": FAMILIES["people.csv"], "shops.csv": shops}
    files["parents.csv"] = FAMILIES["parents.csv"]
    files["guardians.csv"] = "ward,guardian_id\nx,2\ny,4\n"  # no neighbour names a table
    found = {
        (fk.relation, fk.columns[0], fk.references_table)
        for fk in find_foreign_keys(con, profiles=profiles_of(con, tmp_path, files))
    }
    assert ("parents", "mother_id", "people") in found
    assert ("parents", "mother_id", "shops") not in found
    assert not {f for f in found if f[0] == "guardians"}
