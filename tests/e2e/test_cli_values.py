"""`importbot import` on R-exported data: NA read as missing numbers, said on screen, and NULL
on the branch."""

import re
import shutil
from pathlib import Path

import pytest

from dolt import open_server
from tests.e2e.test_cli_import import importbot


def test_penguins_na_are_missing_numbers_on_the_branch(tmp_path):
    palmerpenguins = pytest.importorskip("palmerpenguins", reason="palmerpenguins is not installed")
    source = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    if not source.is_file():
        pytest.skip("palmerpenguins has no data/penguins.csv")
    shutil.copy(source, tmp_path / "penguins.csv")
    out = importbot(
        "import", "import penguins.csv into zoo", "--yes", "--db", "doltlite:dbs", cwd=tmp_path
    ).stdout
    assert "bill_length_mm: read NA as missing (2 rows)" in out
    assert "`bill_length_mm` DECIMAL(3,1)" in out and "`sex` VARCHAR(16)" in out
    assert "✓ every source row accounted for (344 rows)" in out
    branch = re.search(r"Branch (import/\S+) in database zoo", out).group(1)
    with open_server(f"doltlite://{tmp_path / 'dbs'}") as server:
        rows = [
            c.to_row for c in server.database(name="zoo").diff_rows(table="penguins", branch=branch)
        ]
    assert len(rows) == 344
    missing = [row for row in rows if row["bill_length_mm"] is None]
    assert len(missing) == 2 and all(row["body_mass_g"] is None for row in missing)
    assert {row["sex"] for row in rows} == {"male", "female", "NA"}  # text keeps NA


def test_month_names_and_unpadded_dates_are_dates_on_the_branch(tmp_path):
    (tmp_path / "events.csv").write_text(
        "id,day,at\n"
        '1,"January 5, 2015",2015/1/5 1:00\n'
        "2,31-Dec-2015,2015/12/31 13:05\n"
        "3,sep 30 2016,NA\n"
    )
    out = importbot(
        "import", "import events.csv into diary", "--yes", "--db", "doltlite:dbs", cwd=tmp_path
    ).stdout
    assert "day: dates with month names read (Jan 31 2015 as 2015-01-31)" in out
    assert "`day` DATE" in out and "`at` DATETIME" in out
    branch = re.search(r"Branch (import/\S+) in database diary", out).group(1)
    with open_server(f"doltlite://{tmp_path / 'dbs'}") as server:
        changes = server.database(name="diary").diff_rows(table="events", branch=branch)
        rows = sorted((c.to_row for c in changes), key=lambda row: row["id"])
    assert [(row["day"], row["at"]) for row in rows] == [
        ("2015-01-05", "2015-01-05 01:00:00"),
        ("2015-12-31", "2015-12-31 13:05:00"),
        ("2016-09-30", None),
    ]
