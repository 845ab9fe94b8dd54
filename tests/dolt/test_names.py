import pytest

from dolt.errors import InvalidName
from dolt.sql.names import (
    quote_identifier,
    validate_branch_name,
    validate_database_name,
    validate_identifier,
)


@pytest.mark.parametrize("name", ["families", "f2", "sales-2026", "a_b"])
def test_database_names_accepted(name):
    assert validate_database_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "../etc", "a/b", "a.db", "2fast", "x" * 65, "fam ilies", "a\x00b", "..", "-x", "é"],
)
def test_database_names_refused(name):
    with pytest.raises(InvalidName):
        validate_database_name(name)


@pytest.mark.parametrize("name", ["main", "import/42", "import/job-7f3a", "feature/a.b", "x_y"])
def test_branch_names_accepted(name):
    assert validate_branch_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a..b",
        "a b",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[b",
        "a\\b",
        "/a",
        "a/",
        "a.",
        "a//b",
        "a@{1}",
        "@",
        "a/.hidden",
        "a.lock",
        "x/y.lock",
        "-rf",
        "HEAD",
        "a\x07",
    ],
)
def test_branch_names_refused(name):
    with pytest.raises(InvalidName):
        validate_branch_name(name)


@pytest.mark.parametrize("name", ["dolt_log", "sqlite_master", "a\nb", " pad", "", "x" * 65])
def test_identifiers_refused(name):
    with pytest.raises(InvalidName):
        validate_identifier(name)


def test_quoting_doubles_the_quote_character():
    assert quote_identifier('we"ird') == '"we""ird"'
    assert quote_identifier("we`ird", quote="`") == "`we``ird`"
