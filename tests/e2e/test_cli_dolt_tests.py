"""The import's checks as Dolt tests (issue 14, point 3), as a person meets them in a terminal:
a later import that breaks a test an earlier one merged into main is refused at merge, by
the test's name, and main keeps what it had."""

import json

from dolt import open_server
from tests.e2e.test_cli_import import importbot


def _import(text, workspace):
    out = importbot("import", text, "--db", "doltlite:dbs", "--yes", "--json", cwd=workspace)
    return json.loads(out.stdout)


def test_a_later_import_that_breaks_a_merged_test_is_refused_by_name(tmp_path):
    (tmp_path / "people.csv").write_text("id,name,age\n1,Ada,36\n2,Grace,45\n3,Tim,15\n")
    (tmp_path / "more.csv").write_text("id,name,age\n10,Kid,5\n")
    first = _import(
        'Import people.csv into database "crm" table "people" where age >= 21.', tmp_path
    )
    importbot("merge", first["job"], "--db", "doltlite:dbs", cwd=tmp_path)
    second = _import('Import more.csv into database "crm" table "people" mode append.', tmp_path)

    test = f"import/{first['job']}: people rows satisfy age >= 21"
    review = json.loads(
        importbot("diff", second["job"], "--json", "--db", "doltlite:dbs", cwd=tmp_path).stdout
    )
    assert f"Dolt test '{test}' fails: expected 0, got 1" in review["conflicts"]
    refused = importbot("merge", second["job"], "--db", "doltlite:dbs", cwd=tmp_path, check=False)
    assert refused.returncode == 1
    said = " ".join((refused.stdout + refused.stderr).split())
    assert test in said and "Traceback" not in said
    with open_server(f"doltlite://{tmp_path / 'dbs'}") as server:
        crm = server.database(name="crm")
        assert crm.row_counts()["people"] == 2
        assert {r.name for r in crm.run_tests(ref="main")} >= {test}
