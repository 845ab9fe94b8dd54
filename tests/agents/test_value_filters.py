"""Filters in words whose column the data decides: "just the Gentoo penguins" and "only 2000
and later", resolved at plan time against the staged sources (no model)."""

from __future__ import annotations

import pytest

from agents.errors import ProposalInvalid
from tests.agents.test_import_pipeline import run_import

PENGUINS = (
    "species,island,sex,year\n"
    "Adelie,Torgersen,male,2007\n"
    "Gentoo,Biscoe,female,2008\n"
    "Gentoo,Biscoe,male,2009\n"
    "Chinstrap,Dream,female,2009\n"
)


def _import(text, *, server, tmp_path, files):
    root = tmp_path / "data"
    root.mkdir()
    for name, content in files.items():
        (root / name).write_text(content)
    return run_import(text.format(root=root), server=server, root=root, tmp_path=tmp_path)


EVENTS = "id,day\n1,2020-05-01\n2,2021-01-01\n3,2022-03-04\n"


@pytest.mark.parametrize(
    ("words", "file", "content", "condition", "rows"),
    [
        ("Just the Gentoo penguins.", "penguins.csv", PENGUINS, "species = 'Gentoo'", 2),
        ("Only rows where species is Adelie.", "penguins.csv", PENGUINS, "species = 'Adelie'", 1),
        ("Only 2009 and later.", "penguins.csv", PENGUINS, "year >= 2009", 2),
        ("Only rows after 2020.", "events.csv", EVENTS, "day >= '2021-01-01'", 2),  # a date
    ],
)
def test_a_filter_in_words_finds_its_one_column_and_loads_exactly_its_rows(
    doltlite_server, tmp_path, words, file, content, condition, rows
):
    _, _, plan, review = _import(
        f"import {{root}}/{file} into zoo. {words}",
        server=doltlite_server,
        tmp_path=tmp_path,
        files={file: content},
    )
    assert plan.checks == [condition]
    assert [(t.name, t.rows_added) for t in review.tables] == [(file.removesuffix(".csv"), rows)]


@pytest.mark.parametrize(
    ("words", "content", "refusal"),
    [
        (
            "Just the Biscoe penguins.",
            "island,home\nBiscoe,Biscoe\nDream,Torgersen\n",
            r"several columns \(home, island\)",
        ),
        ("Just the Emperor penguins.", PENGUINS, r"No text column .* 'Emperor' \(searched: "),
        (
            "Only 2000 and later.",
            "id,year,born_year\n1,1999,1970\n2,2001,1980\n",
            r"year or date columns: born_year, year",
        ),
    ],
)
def test_a_filter_in_words_that_fits_no_or_several_columns_is_refused_naming_them(
    doltlite_server, tmp_path, words, content, refusal
):
    with pytest.raises(ProposalInvalid, match=refusal):
        _import(
            f"import {{root}}/data.csv into zoo. {words}",
            server=doltlite_server,
            tmp_path=tmp_path,
            files={"data.csv": content},
        )
