from pathlib import Path

import pytest

from dolt.errors import InvalidUrl
from dolt.urls import DoltliteLocation, MysqlLocation, parse_url, redact_url


def test_absolute_doltlite_url():
    assert parse_url("doltlite:///srv/dolt") == DoltliteLocation(directory=Path("/srv/dolt"))


def test_relative_doltlite_url_resolves_against_cwd(tmp_path):
    assert parse_url("doltlite:data/dbs", cwd=tmp_path).directory == tmp_path / "data" / "dbs"


def test_mysql_url():
    location = parse_url("mysql://bot:s%40cret@db.internal:3307")
    assert location == MysqlLocation(host="db.internal", port=3307, user="bot", password="s@cret")


def test_mysql_url_defaults_port_and_never_shows_password():
    location = parse_url("mysql://bot:hunter2@db")
    assert location.port == 3306
    assert "hunter2" not in str(location) and "hunter2" not in repr(location)
    assert redact_url("mysql://bot:hunter2@db:1") == "mysql://bot:***@db:1"


@pytest.mark.parametrize(
    "url",
    ["", "postgres://x@y", "doltlite:", "doltlite://host/dir", "mysql://u:p@h:3306/db", "mysql://"],
)
def test_bad_urls_are_refused_with_a_hint(url):
    with pytest.raises(InvalidUrl) as error:
        parse_url(url)
    assert "hunter2" not in str(error.value)
