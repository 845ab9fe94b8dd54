"""Folder imports that do what they say (issue 12, point 7): what a folder holds that is not
data is listed with the reason, .txt and extension-less files are taken only when they are
tables, a JSON file of several lists is several tables, and files of other shapes under one
glob are combined by name or kept apart with a note — never a DuckDB error."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from agents import pipeline
from agents.artifacts import Inspection, SkippedSource, skipped_words
from agents.errors import FormatError, SourceNotFound
from agents.sources.resolve import SourcePolicy, resolve_sources
from agents.staging.connection import open_duckdb
from agents.staging.stage import stage_file
from agents.staging.text_shape import holds_table
from bot.terminal import render
from tests.agents.test_import_pipeline import run_import

CSV = "id,name\n1,Ada\n2,Bob\n"
PROSE = "This is a note, written by hand.\nIt has no columns at all; just words.\nAnd, a, third.\n"


def resolve(root: Path, *specs: str, **options):
    return resolve_sources(
        list(specs),
        policy=SourcePolicy(roots=(root,)),
        workdir=root.parent / "work",
        takes_text=holds_table,
        **options,
    )


@pytest.fixture
def folder(tmp_path) -> Path:
    """data/ a.csv, notes.md, raw.txt (prose), blob (binary), good.txt (tabs), people (CSV,
    no extension), a_old.csv, bundle.zip {inner.csv, readme.md, LICENSE}."""
    root = tmp_path / "root"
    data = root / "data"
    data.mkdir(parents=True)
    (data / "a.csv").write_text(CSV)
    (data / "notes.md").write_text("# notes\n")
    (data / "raw.txt").write_text(PROSE)
    (data / "blob").write_bytes(bytes(range(256)) * 8)
    (data / "good.txt").write_text("id\tcity\n1\tOslo\n2\tRome\n")
    (data / "people").write_text(CSV)
    (data / "a_old.csv").write_text(CSV)
    with zipfile.ZipFile(data / "bundle.zip", "w") as archive:
        archive.writestr("inner.csv", CSV)
        archive.writestr("readme.md", "# read me\n")
        archive.writestr("LICENSE", "Permission is hereby granted, free of charge.\nTo anyone.\n")
    return root


def test_a_folder_lists_every_file_it_skips_with_the_reason(folder):
    found = resolve(folder, "data", exclude=["*_old.csv"])
    assert [item.source for item in found.sources] == [
        "data/a.csv",
        "data/bundle.zip:inner.csv",
        "data/good.txt",
        "data/people",
    ]
    assert [(item.source, item.reason) for item in found.skipped] == [
        ("data/a_old.csv", "excluded by *_old.csv"),
        ("data/blob", "not a consistent delimited file"),
        ("data/bundle.zip:LICENSE", "not a consistent delimited file"),
        ("data/bundle.zip:readme.md", "not a data file"),
        ("data/notes.md", "not a data file"),
        ("data/raw.txt", "not a consistent delimited file"),
    ]


def test_a_glob_lists_what_it_matched_but_skipped(folder):
    found = resolve(folder, "data/*t*")
    assert [item.source for item in found.sources] == ["data/good.txt"]
    assert [(item.source, item.reason) for item in found.skipped] == [
        ("data/notes.md", "not a data file"),
        ("data/raw.txt", "not a consistent delimited file"),
    ]


def test_a_folder_of_nothing_but_prose_says_what_it_skipped(tmp_path):
    (tmp_path / "root" / "docs").mkdir(parents=True)
    (tmp_path / "root" / "docs" / "raw.txt").write_text(PROSE)
    (tmp_path / "root" / "docs" / "README").write_text("Read me first.\nThen the rest.\n")
    with pytest.raises(SourceNotFound) as refused:
        resolve(tmp_path / "root", "docs")
    assert str(refused.value) == (
        "Nothing is left to import. Skipped 2 files: docs/README (not a consistent delimited"
        " file), docs/raw.txt (not a consistent delimited file)."
    )


def test_a_txt_file_named_explicitly_is_tried_and_refused_in_words(folder, tmp_path):
    (found,) = resolve(folder, "data/raw.txt").sources  # named: not checked, tried
    with open_duckdb(workdir=tmp_path) as con, pytest.raises(FormatError) as refused:
        stage_file(con, file=found.file, source=found.source, relation="raw", workdir=tmp_path)
    assert str(refused.value) == (
        "data/raw.txt: is not a consistent delimited file: its first lines have 2, 1 and 3 "
        "fields with the comma as delimiter; if it is a table, say its delimiter (for example "
        "`delimiter ;`)"
    )


def test_an_extension_less_file_named_explicitly_is_read(folder, tmp_path):
    (found,) = resolve(folder, "data/people").sources
    with open_duckdb(workdir=tmp_path) as con:
        (staged,) = stage_file(
            con, file=found.file, source=found.source, relation="people", workdir=tmp_path
        )
        assert con.execute("SELECT name FROM people ORDER BY __record").fetchall() == [
            ("Ada",),
            ("Bob",),
        ]
    assert [name for name, _ in staged.columns] == ["id", "name"]


def test_a_reader_error_of_duckdb_reaches_people_in_words(tmp_path):
    path = tmp_path / "rows.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS file_row_number, 2 AS b) TO '{path}' (FORMAT parquet)")
    with open_duckdb(workdir=tmp_path) as con, pytest.raises(FormatError) as refused:
        stage_file(con, file=path, source="rows.parquet", relation="rows", workdir=tmp_path)
    message = str(refused.value)
    assert message.startswith("rows.parquet: cannot be read as Parquet: Option file_row_number")
    assert "Error:" not in message


def test_a_duckdb_error_no_reader_expected_is_a_format_error_in_words(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('[{"a": ' + "[" * 300 + "]" * 300 + "}]")
    with open_duckdb(workdir=tmp_path) as con, pytest.raises(FormatError) as refused:
        stage_file(con, file=path, source="deep.json", relation="deep", workdir=tmp_path)
    assert str(refused.value) == (
        "deep.json: cannot be read: JSON exceeds maximum recursion depth of 128"
    )


def test_an_inspection_recorded_before_skipped_files_were_kept_still_loads():
    old = {"database": "shop", "target_schema": {}, "profiles": []}
    assert Inspection.model_validate(old).skipped == []


def test_skipped_files_are_named_up_to_five_and_counted_past_that():
    skipped = [SkippedSource(source=f"data/n{i}.md", reason="not a data file") for i in range(7)]
    assert skipped_words(skipped[:1]) == "Skipped 1 file: data/n0.md (not a data file)"
    words = skipped_words(skipped)
    assert words is not None and words.startswith("Skipped 7 files: data/n0.md (not a data")
    assert words.endswith("data/n4.md (not a data file) … and 2 more")
    assert skipped_words([]) is None


def test_the_terminal_shows_skipped_files_as_written():
    skipped = [SkippedSource(source="data/[bold]x[/bold].md", reason="not a data file")]
    text = render.skipped_text(skipped)
    assert text is not None
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(text)
    assert out.getvalue() == "Skipped 1 file: data/[bold]x[/bold].md (not a data file)\n"
    assert render.skipped_text([]) is None


# -- end to end: the folder's skipped files reach the inspection ------------------------------
def test_the_inspection_carries_the_skipped_files(doltlite_server, folder, tmp_path):
    request = pipeline.understand("import data except *_old.csv into shop")
    database = doltlite_server.database(name="shop", create=True)
    workdir = tmp_path / "job"
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(folder,)), workdir=workdir
    )
    staging.close()
    assert [item.source for item in inspection.skipped] == [
        "data/a_old.csv",
        "data/blob",
        "data/bundle.zip:LICENSE",
        "data/bundle.zip:readme.md",
        "data/notes.md",
        "data/raw.txt",
    ]
    assert sorted(p.relation for p in inspection.profiles) == ["a", "good", "inner", "people"]


# -- a JSON file of several lists ---------------------------------------------------------------
MISERABLES = {
    "nodes": [{"name": "Myriel", "group": 1}, {"name": "Napoleon", "group": 1}],
    "links": [{"source": 1, "target": 0, "value": 1}],
}


def test_each_list_of_a_json_file_is_its_own_table(doltlite_server, tmp_path):
    root = tmp_path / "data"
    (root / "graphs").mkdir(parents=True)
    (root / "graphs" / "miserables.json").write_text(json.dumps(MISERABLES))
    (root / "graphs" / "extra.csv").write_text(CSV)
    _, schema, _, review = run_import(
        "import graphs into graphs", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    added = {t.name: t.rows_added for t in review.tables}
    assert added == {"extra": 2, "miserables__nodes": 2, "miserables__links": 1}
    assert any("say `only the nodes list` to take one" in note for note in schema.notes)


def test_only_the_list_named_in_the_request_is_imported(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "miserables.json").write_text(json.dumps(MISERABLES))
    database, _, _, review = run_import(
        "import the nodes list of miserables.json into graphs",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert [(t.name, t.rows_added) for t in review.tables] == [("miserables", 2)]
    names = database.column_values(table="miserables", column="name", ref=review.branch)
    assert sorted(names) == ["Myriel", "Napoleon"]


def test_vega_datasets_miserables_is_two_tables(doltlite_server, tmp_path):
    vega = pytest.importorskip("vega_datasets", reason="vega-datasets is not installed")
    found = sorted(Path(vega.__file__).parent.rglob("miserables.json"))
    if not found:
        pytest.skip("vega-datasets has no local miserables.json (it is fetched from the web)")
    root = tmp_path / "data"
    root.mkdir()
    (root / "miserables.json").write_bytes(found[0].read_bytes())
    _, _, _, review = run_import(
        "import miserables.json into graphs", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    added = {t.name: t.rows_added for t in review.tables}
    assert added == {"miserables__nodes": 77, "miserables__links": 254}


# -- files of different shapes under one glob --------------------------------------------------
@pytest.fixture
def cities(tmp_path) -> Path:
    """cities_1.csv (id, name), cities_2.csv (id, name, a, b), cities_3.csv (name, id)."""
    root = tmp_path / "data"
    (root / "geo").mkdir(parents=True)
    (root / "geo" / "cities_1.csv").write_text("id,name\n1,Oslo\n2,Rome\n")
    (root / "geo" / "cities_2.csv").write_text("id,name,a,b\n3,Lima,x,7\n")
    (root / "geo" / "cities_3.csv").write_text("name,id\nKyiv,4\n")
    return root


def import_cities(text, *, server, root, tmp_path, columns):
    """The schema, {table: rows added} and the rows of `cities` (as `columns` tuples)."""
    database, schema, _, review = run_import(text, server=server, root=root, tmp_path=tmp_path)
    added = {t.name: t.rows_added for t in review.tables}
    changes = database.diff_rows(table="cities", branch=review.branch)
    rows = sorted(tuple(change.to_row[c] for c in columns) for change in changes)
    return schema, added, rows


def test_files_of_another_shape_become_their_own_table_with_a_note(
    doltlite_server, cities, tmp_path
):
    schema, added, rows = import_cities(
        "import geo/cities_*.csv into geo.cities",
        server=doltlite_server,
        root=cities,
        tmp_path=tmp_path,
        columns=("id", "name"),
    )
    assert added == {"cities": 3, "cities_2": 1}
    assert schema.notes[0] == (
        "geo/cities_2.csv has other columns (a, b) than geo/cities_1.csv: imported as its own "
        "table cities_2; say `union by name` to make them one table."
    )
    # cities_3.csv has the same columns in another order: matched by name, not by position
    assert rows == [(1, "Oslo"), (2, "Rome"), (4, "Kyiv")]


def test_union_by_name_makes_one_table_with_nulls_for_missing_columns(
    doltlite_server, cities, tmp_path
):
    schema, added, rows = import_cities(
        "import geo/cities_*.csv into geo, union by name",
        server=doltlite_server,
        root=cities,
        tmp_path=tmp_path,
        columns=("id", "name", "a", "b"),
    )
    assert added == {"cities": 4}
    assert "geo/cities_1.csv, geo/cities_2.csv, geo/cities_3.csv combined by column name " in (
        " ".join(schema.notes)
    )
    assert "`b` TINYINT" in schema.ddl[0]  # typed by the file that has it, not the NULLs of others
    assert rows == [
        (1, "Oslo", None, None),
        (2, "Rome", None, None),
        (3, "Lima", "x", 7),
        (4, "Kyiv", None, None),
    ]
