"""Foreign keys never break an import: declared only to a key and by a plausible name, an
orphan reference is one rejected row with its reason, and people can leave references out."""

import shutil
from pathlib import Path

import pytest

from agents import pipeline
from agents.artifacts import Reference, SchemaOverrides
from agents.sources.resolve import SourcePolicy
from tests.agents.test_import_pipeline import EXAMPLES, FAMILIES_REQUEST, run_import
from tests.conftest import REQUESTER

# The shape of vega-datasets' disasters.csv and global-temp.csv (whose PyPI package does not
# ship them): a yearly count per kind of disaster, and one temperature per year.
DISASTERS = "Entity,Year,Deaths\n" + "".join(
    f"{kind},{year},{1000 + year % 97 * 13}\n"
    for kind in ("All natural disasters", "Drought", "Earthquake", "Flood")
    for year in range(1900, 1950)
)
GLOBAL_TEMP = "year,temp\n" + "".join(
    f"{year},{(year - 1950) / 100:.2f}\n" for year in range(1880, 2024)
)


def folder(tmp_path: Path, name: str, files: dict[str, Path | str]) -> Path:
    root = tmp_path / "data"
    (root / name).mkdir(parents=True)
    for file_name, content in files.items():
        target = root / name / file_name
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content)
    return root


def test_tables_that_share_a_column_name_import_without_a_reference(doltlite_server, tmp_path):
    """disasters.year and global_temp.year (vega-datasets' shapes): global_temp has no key,
    so a reference would make the database refuse every row ("foreign key mismatch")."""
    root = folder(tmp_path, "vega", {"disasters.csv": DISASTERS, "global-temp.csv": GLOBAL_TEMP})
    _, schema, _, review = run_import(
        'Import all CSV files in vega into the database: "vega". Create tables as needed.',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert not any("REFERENCES" in statement for statement in schema.ddl)
    left_out = "disasters.year → global_temp.year is not declared as a foreign key"
    assert any(n.startswith(left_out) for n in schema.notes)
    assert {t.name: t.rows_added for t in review.tables} == {"disasters": 200, "global_temp": 144}
    assert review.rejected_rows == 0


def test_real_penguins_and_driving_years_import_side_by_side(doltlite_server, tmp_path):
    """palmerpenguins' penguins.year (2007–2009) lies within vega-datasets' driving.year."""
    penguins = pytest.importorskip("palmerpenguins", reason="palmerpenguins is not installed")
    vega = pytest.importorskip("vega_datasets", reason="vega-datasets is not installed")
    files = {
        "penguins.csv": Path(penguins.__file__).parent / "data" / "penguins.csv",
        "driving.json": Path(vega.__file__).parent / "_data" / "driving.json",
    }
    missing = [str(path) for path in files.values() if not path.exists()]
    if missing:
        pytest.skip(f"the installed packages lack {', '.join(missing)}")
    root = folder(tmp_path, "mixed", files)
    _, schema, _, review = run_import(
        'Import all files in mixed into the database: "mixed". Create tables as needed.',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert not any("REFERENCES" in statement for statement in schema.ddl)
    assert {t.name: t.rows_added for t in review.tables} == {"driving": 55, "penguins": 344}


def test_a_role_name_refers_to_the_table_its_neighbours_name(doltlite_server, tmp_path):
    """parents.mother_id names no table; shop ids 1..60 hold its values as people ids do, but
    parents.person_id names people, so the reference goes to people only."""
    files: dict[str, Path | str] = {p.name: p for p in EXAMPLES.glob("*.csv")}
    files["shops.csv"] = "id,name\n" + "".join(f"{i},shop {i}\n" for i in range(1, 61))
    root = folder(tmp_path, "families", files)
    database, _, _, review = run_import(
        FAMILIES_REQUEST, server=doltlite_server, root=root, tmp_path=tmp_path
    )
    parents = database.create_statements(ref=review.branch)["parents"]
    assert "REFERENCES `shops`" not in parents
    assert "FOREIGN KEY (`mother_id`) REFERENCES `people` (`id`)" in parents
    assert "FOREIGN KEY (`father_id`) REFERENCES `people` (`id`)" in parents


def test_an_orphan_reference_is_one_rejected_row_and_the_import_goes_on(
    doltlite_server, families, tmp_path
):
    """pets on main refers to people (ids 1..10); a new pet of owner 99 is a reject."""
    with families.write_session(branch="main") as session:
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner_id INT, "
            "FOREIGN KEY (owner_id) REFERENCES people (id))"
        )
        session.commit(message="pets", author=REQUESTER)
    root = folder(tmp_path, "zoo", {"pets.csv": "id,owner_id\n1,1\n2,99\n3,2\n4,\n5,98\n"})
    *_, review = run_import(
        "import zoo/pets.csv into families.pets mode append",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert review.rejected_rows == 2
    assert [(r.file, r.line, r.column, r.value, r.reason) for r in review.rejects] == [
        ("zoo/pets.csv", 3, "owner_id", "99", "no people.id = 99"),
        ("zoo/pets.csv", 6, "owner_id", "98", "no people.id = 98"),
    ]
    assert {t.name: t.rows_added for t in review.tables} == {"pets": 3}  # NULL owner: no ref
    assert "every source row accounted for (5 rows)" in review.checks_passed


def test_rows_left_without_their_parent_by_the_filter_are_rejected(doltlite_server, tmp_path):
    """Only people 21 or older: birthdays and parents of younger people refer to no row."""
    root = folder(tmp_path, "families", {p.name: p for p in EXAMPLES.glob("*.csv")})
    _, _, _, review = run_import(
        FAMILIES_REQUEST + " Only import people that are 21 or older.",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    added = {t.name: t.rows_added for t in review.tables}
    assert added["people"] == 39
    by_table = {t: [r for r in review.rejects if r.table == t] for t in added}
    assert added["birthdays"] + len(by_table["birthdays"]) == 50
    assert len(by_table["birthdays"]) == 11
    assert all(
        r.column == "person_id" and r.reason == f"no people.id = {r.value}"
        for r in by_table["birthdays"]
    )
    assert added["parents"] + len(by_table["parents"]) == 44
    assert review.rejected_rows == len(review.rejects) > 11


def test_no_foreign_keys_and_without_a_reference_are_honoured(doltlite_server, tmp_path):
    root = folder(tmp_path, "families", {p.name: p for p in EXAMPLES.glob("*.csv")})
    request = pipeline.understand(FAMILIES_REQUEST)
    database = doltlite_server.database(name="families", create=True)
    workdir = tmp_path / "jobs" / "overrides"
    workdir.mkdir(parents=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
    )
    staging.close()

    def proposal(overrides: SchemaOverrides):
        return pipeline.baseline_schema(
            request.model_copy(update={"overrides": overrides}), inspection
        )

    everything = proposal(SchemaOverrides())
    assert sum(s.count("FOREIGN KEY") for s in everything.ddl) == 6

    none = proposal(SchemaOverrides(foreign_keys=False))
    assert not any("FOREIGN KEY" in s for s in none.ddl)
    assert len([n for n in none.notes if n.endswith("is not declared, as asked.")]) == 6

    without = proposal(
        SchemaOverrides(without_references=[Reference(from_table="parents", to_table="People")])
    )
    ddl = {t.name: t.ddl[0] for t in without.tables}
    assert "FOREIGN KEY" not in ddl["parents"]
    assert "FOREIGN KEY (`person_id`) REFERENCES `people` (`id`)" in ddl["birthdays"]
    assert "parents.mother_id → people.id is not declared, as asked." in without.notes
