"""Missing values and the number and date formats of real files, imported end to end: each value
read back from the branch is the one the file's author meant, and every row is accounted for."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from agents import pipeline
from agents.artifacts import ImportRequest, ReadOptions
from agents.sources.resolve import SourcePolicy
from tests.conftest import REQUESTER


def run_request(request: ImportRequest, *, server, root: Path, tmp_path: Path):
    """inspect → propose → plan → execute → review of ``request``, approving everything."""
    database = server.database(name=request.database, create=True)
    job_id = pipeline.new_job_id()
    workdir = tmp_path / "jobs" / job_id
    workdir.mkdir(parents=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
    )
    try:
        schema = pipeline.propose(request, inspection, database=database)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
        review = pipeline.run(
            job_id=job_id,
            text=f"import {request.sources[0]} into {request.database}",
            author=REQUESTER,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
            sources=inspection.snapshots,
        )
    finally:
        staging.close()
    return database, inspection, review


def branch_rows(database, review, table: str) -> list[dict]:
    return [change.to_row for change in database.diff_rows(table=table, branch=review.branch)]


def request_for(source: str, database: str = "values", **read) -> ImportRequest:
    return ImportRequest(sources=[source], database=database, read=ReadOptions(**read))


def package_data(tmp_path: Path, package: str, *parts: str, name: str) -> tuple[Path, Path]:
    """A data file of an installed package, copied as ``name`` into a data root: (file, root)."""
    module = pytest.importorskip(package, reason=f"{package} is not installed")
    source = Path(module.__file__).parent.joinpath(*parts)
    if not source.is_file():
        pytest.skip(f"{package} has no {'/'.join(parts)}")
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(source, root / name)
    return source, root


# --- real data --------------------------------------------------------------------------------


def test_palmerpenguins_na_become_null_numbers_and_sex_keeps_na(doltlite_server, tmp_path):
    source, root = package_data(
        tmp_path, "palmerpenguins", "data", "penguins.csv", name="penguins.csv"
    )
    database, inspection, review = run_request(
        request_for("penguins.csv", "zoo"), server=doltlite_server, root=root, tmp_path=tmp_path
    )
    profile = inspection.profiles[0]
    assert {c.name: c.inferred_type for c in profile.columns} == {
        "species": "VARCHAR(16)",
        "island": "VARCHAR(16)",
        "bill_length_mm": "DECIMAL(3,1)",
        "bill_depth_mm": "DECIMAL(3,1)",
        "flipper_length_mm": "SMALLINT",
        "body_mass_g": "SMALLINT",
        "sex": "VARCHAR(16)",
        "year": "SMALLINT",
    }
    assert "bill_length_mm: read NA as missing (2 rows)" in profile.notes
    assert review.rejected_rows == 0
    with source.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    numbers = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year")

    def as_meant(row: dict) -> tuple:
        """A row as the file means it: NA is missing in a number column, numbers exact."""
        return tuple(
            (None if value in (None, "NA") else Decimal(str(value))) if name in numbers else value
            for name, value in row.items()
        )

    rows = branch_rows(database, review, "penguins")
    assert [t.rows_added for t in review.tables] == [len(records)] == [344]
    key = str
    assert sorted(map(as_meant, rows), key=key) == sorted(map(as_meant, records), key=key)
    assert sum(row["bill_length_mm"] is None for row in rows) == 2
    assert sum(row["sex"] == "NA" for row in rows) == 11  # a text column keeps NA as text


def test_vega_slash_datetimes_become_datetimes(doltlite_server, tmp_path):
    source, root = package_data(
        tmp_path, "vega_datasets", "_data", "seattle-temps.csv", name="seattle_temps.csv"
    )
    database, inspection, review = run_request(
        request_for("seattle_temps.csv", "weather"),
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    profile = inspection.profiles[0]
    assert profile.column("date").inferred_type == "DATETIME"
    assert "date: dates written with slashes read as year/month/day" in profile.notes
    with source.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    rows = branch_rows(database, review, "seattle_temps")
    assert review.rejected_rows == 0 and len(rows) == len(records) == 8759
    got = sorted((row["date"], Decimal(str(row["temp"]))) for row in rows)
    expected = sorted(
        (record["date"].replace("/", "-") + ":00", Decimal(record["temp"])) for record in records
    )
    assert got == expected


# --- small fixtures ---------------------------------------------------------------------------


def write(root: Path, name: str, text: str) -> None:
    root.mkdir(exist_ok=True)
    (root / name).write_text(text)


def test_formats_round_trip_through_the_branch(doltlite_server, tmp_path):
    root = tmp_path / "data"
    write(
        root,
        "readings.csv",
        "id,big,amount,share,us,eu,stamp,flag\n"
        '1,18446744073709551615,"1,234,567.5",12.5%,01/31/2015,31.12.2020,'
        "2015/01/01 01:00:00,true\n"
        '2,5,"999",-3%,2/1/2015,01.02.2021,2015/06/30 23:59:59,NA\n'
        "3,NA,NA,NA,NA,NA,NA,false\n",
    )
    database, inspection, review = run_request(
        request_for("readings.csv"), server=doltlite_server, root=root, tmp_path=tmp_path
    )
    types = {c.name: c.inferred_type for c in inspection.profiles[0].columns}
    assert types == {
        "id": "TINYINT",
        "big": "DECIMAL(20,0)",
        "amount": "DECIMAL(8,1)",
        "share": "DECIMAL(3,1)",
        "us": "DATE",
        "eu": "DATE",
        "stamp": "DATETIME",
        "flag": "BOOLEAN",
    }
    assert "DECIMAL(20, 0)" in database.create_statements(ref=review.branch)["readings"]
    assert review.rejected_rows == 0 and review.tables[0].rows_added == 3
    rows = sorted(branch_rows(database, review, "readings"), key=lambda row: row["id"])
    # Exact digits: never 1.8446744073709552e+19.
    assert str(rows[0]["big"]) == "18446744073709551615" and str(rows[1]["big"]) == "5"
    assert [Decimal(str(r["amount"])) if r["amount"] is not None else None for r in rows] == [
        Decimal("1234567.5"),
        Decimal("999"),
        None,
    ]
    assert [r["share"] for r in rows] == [12.5, -3, None]
    assert [r["us"] for r in rows] == ["2015-01-31", "2015-02-01", None]
    assert [r["eu"] for r in rows] == ["2020-12-31", "2021-02-01", None]
    assert [r["stamp"] for r in rows] == ["2015-01-01 01:00:00", "2015-06-30 23:59:59", None]
    assert [r["flag"] for r in rows] == [1, None, 0]


def test_decimal_comma_file_and_the_read_options(doltlite_server, tmp_path):
    root = tmp_path / "data"
    write(
        root,
        "prices.csv",
        "item;price;total;code\nA;1095,47;1.234.567,89;NA\nB;3,5;12;-\nC;-;NA;7\n",
    )
    database, inspection, review = run_request(
        request_for("prices.csv", text_markers=["NA"], null_markers=["NA", "-"]),
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    types = {c.name: c.inferred_type for c in inspection.profiles[0].columns}
    # `keep NA as text`: NA keeps total and code text; "-" is still read as missing.
    assert types == {
        "item": "VARCHAR(16)",
        "price": "DECIMAL(6,2)",
        "total": "VARCHAR(16)",
        "code": "VARCHAR(16)",
    }
    rows = sorted(branch_rows(database, review, "prices"), key=lambda row: row["item"])
    assert [r["price"] for r in rows] == [1095.47, 3.5, None]
    assert [r["total"] for r in rows] == ["1.234.567,89", "12", "NA"]
    assert review.rejected_rows == 0
    assert inspection.profiles[0].notes == [
        "price: decimal commas read (1.234,5 as 1234.5); read - as missing (1 row)"
    ]
