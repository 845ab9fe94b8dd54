"""`importbot import` of a folder: the files it leaves out are on screen, with the reason."""

from tests.e2e.test_cli_import import importbot


def test_a_folder_import_lists_the_files_it_skipped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text("id,name\n1,Ada\n2,Bob\n")
    (data / "notes.md").write_text("# what these files are\n")
    (data / "raw.txt").write_text("A note, by hand.\nNo columns here\nReally, none, at all.\n")
    result = importbot(
        "import", "import data into crm", "--yes", "--db", "doltlite:dbs", cwd=tmp_path
    )
    assert (
        "Skipped 2 files: data/notes.md (not a data file), data/raw.txt (not a consistent "
        "delimited file)"
    ) in " ".join(result.stdout.split())
