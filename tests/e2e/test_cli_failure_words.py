"""The terminal's failure line in plain words (issue 15, point 6): no raw DuckDB error, no
absolute server path — from real imports that fail."""

from __future__ import annotations

import json

from tests.e2e.test_cli_import import importbot, workspace  # noqa: F401  (shared fixture)


def test_a_filter_duckdb_cannot_evaluate_fails_in_plain_words(workspace):  # noqa: F811
    request = (
        'import examples/families/people.csv into database families table people where age >= "x"'
    )
    result = importbot(
        "import", request, "--yes", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "'x' is not a whole number" in said, said
    assert "Conversion Error" not in said and "INT8" not in said
    out = importbot(
        "import", request, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    error = json.loads(out.stdout)["error"]
    assert "could not be converted to its column's type: 'x' is not a whole number" in error


def test_a_path_outside_the_data_roots_does_not_show_the_server_path(workspace):  # noqa: F811
    request = "import /etc/importbot/secret/people.csv into database families"
    result = importbot(
        "import", request, "--yes", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1 and "leads outside the allowed data roots" in said
    assert str(workspace) not in said
