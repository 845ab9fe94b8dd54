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


def test_month_names_and_unpadded_slash_dates_round_trip_through_the_branch(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    write(
        root,
        "events.csv",
        "id,named,named_at,ymd,ymd_at,us\n"
        "1,Jan 1 2000,Sep 30 2015 10:00,2015/1/5,2015/1/5 1:00,1/5/2015\n"
        '2,"January 31, 2000",1 jan 2000 9:05:30,2015/12/31,2015/12/31 13:05:09,1/13/2015\n'
        "3,01-Feb-2000,NA,NA,NA,NA\n"
        "4,29 SEPT 2016,DEC 31 1999 23:59,2016/2/29,2016/02/29 00:00,12/31/1999\n",
    )
    database, inspection, review = run_request(
        request_for("events.csv"), server=doltlite_server, root=root, tmp_path=tmp_path
    )
    profile = inspection.profiles[0]
    assert {c.name: c.inferred_type for c in profile.columns} == {
        "id": "TINYINT",
        "named": "DATE",
        "named_at": "DATETIME",
        "ymd": "DATE",
        "ymd_at": "DATETIME",
        "us": "DATE",
    }
    assert profile.column("named").reading.format == "month_name"
    assert review.rejected_rows == 0 and review.tables[0].rows_added == 4
    rows = sorted(branch_rows(database, review, "events"), key=lambda row: row["id"])
    assert [r["named"] for r in rows] == ["2000-01-01", "2000-01-31", "2000-02-01", "2016-09-29"]
    assert [r["named_at"] for r in rows] == [
        "2015-09-30 10:00:00",
        "2000-01-01 09:05:30",
        None,
        "1999-12-31 23:59:00",
    ]
    assert [r["ymd"] for r in rows] == ["2015-01-05", "2015-12-31", None, "2016-02-29"]
    assert [r["ymd_at"] for r in rows] == [
        "2015-01-05 01:00:00",
        "2015-12-31 13:05:09",
        None,
        "2016-02-29 00:00:00",
    ]
    assert [r["us"] for r in rows] == ["2015-01-05", "2015-01-13", None, "1999-12-31"]


def test_the_whole_column_decides_the_day_month_order_on_the_branch(doltlite_server, tmp_path):
    rows = 5_000
    ambiguous = [f"{1 + i % 12:02d}/{1 + (i // 12) % 12:02d}/2015" for i in range(rows)]
    eu = [*ambiguous[:-1], "31/01/2015"]  # only row 5,000 shows the day comes first
    mixed = [*ambiguous[:-2], "31/01/2015", "01/31/2015"]  # both orders: not one date format
    root = tmp_path / "data"
    body = "".join(f"{i + 1},{eu[i]},{mixed[i]}\n" for i in range(rows))
    write(root, "late.csv", "id,eu,mixed\n" + body)
    database, inspection, review = run_request(
        request_for("late.csv"), server=doltlite_server, root=root, tmp_path=tmp_path
    )
    profile = inspection.profiles[0]
    assert profile.column("eu").inferred_type == "DATE"
    assert profile.column("mixed").inferred_type == "VARCHAR(16)"
    assert "eu: dates read as day/month/year" in profile.notes
    assert (
        "mixed: dates are written both day first (31/01/2015) and month first (01/31/2015), "
        "so they are kept as text"
    ) in profile.notes
    assert review.rejected_rows == 0 and review.tables[0].rows_added == rows
    stored = {row["id"]: row for row in branch_rows(database, review, "late")}
    assert stored[2]["eu"] == "2015-01-02"  # 02/01/2015, day first
    assert stored[rows]["eu"] == "2015-01-31"
    assert [stored[rows - 1]["mixed"], stored[rows]["mixed"]] == ["31/01/2015", "01/31/2015"]
    day, month, year = (int(part) for part in eu[1234].split("/"))
    assert stored[1235]["eu"] == f"{year}-{month:02d}-{day:02d}"
