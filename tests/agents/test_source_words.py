"""A summary says what the sources name — "all CSV files in data" — never "1 source" of a
glob that matches four files; nothing is resolved to say it."""

import pytest

from agents.stages.grammar import parse_request
from agents.stages.source_words import source_words, sources_words


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("examples/families/*.csv", "all CSV files in examples/families"),
        ("*.json", "all JSON files in the current folder"),
        ("data/x*.csv", "the files matching data/x*.csv"),
        ("people.csv", "people.csv"),
        ("https://example.com/a?b=*", "https://example.com/a?b=*"),
    ],
)
def test_each_source_in_words(source, words):
    assert source_words(source) == words


def test_plain_files_are_counted_and_globs_are_said():
    assert sources_words(["a.csv", "b.csv"]) == "2 sources (a.csv, b.csv)"
    assert sources_words(["data/*.tsv", "b.csv"]) == "all TSV files in data, b.csv"


def test_the_folder_request_of_the_demo_says_what_it_imports():
    request = parse_request(
        'Import all CSV files in examples/families into the database: "families".'
    )
    assert request.summary.startswith("Import all CSV files in examples/families into")
    assert "1 source" not in request.summary


@pytest.mark.parametrize(
    "text",
    [
        "import all files in examples/families into families",
        "import everything in examples/families/ into families",
        "import all the files in the folder examples/families into families",
    ],
)
def test_a_folder_request_says_the_files_in_it_not_one_source(text):
    request = parse_request(text)
    assert request.summary.startswith("Import the files in examples/families into database")
    assert "1 source" not in request.summary


def test_a_folder_among_other_sources_is_said_as_a_folder():
    assert sources_words(["data", "b.csv"], folders=["data"]) == "the files in data, b.csv"
    assert sources_words(["data"]) == "data"  # a bare path may be a folder: no count said
