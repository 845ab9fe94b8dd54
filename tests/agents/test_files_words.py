"""Once the sources are snapshotted, the surfaces say how many files were read and which:
``4 files: a.csv, b.csv, c.csv, d.csv``, named within the folder they share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.artifacts import SourceSnapshot, files_words


def snapshot(source: str) -> SourceSnapshot:
    return SourceSnapshot(
        source=source,
        origin="url" if "://" in source else "local",
        file=f"sources/k/{source.rsplit('/', 1)[-1]}",
        size=1,
        sha256="0" * 64,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def snapshots(*sources: str) -> list[SourceSnapshot]:
    return [snapshot(source) for source in sources]


def test_the_files_of_a_folder_are_counted_and_named_within_it():
    read = snapshots(*(f"examples/families/{n}.csv" for n in ("a", "b", "c", "d")))
    assert files_words(read) == "4 files: a.csv, b.csv, c.csv, d.csv"


@pytest.mark.parametrize(
    ("sources", "words"),
    [
        (["people.csv"], "1 file: people.csv"),
        (["data/people.csv"], "1 file: people.csv"),
        (["data/a.csv", "data/sub/b.csv"], "2 files: a.csv, sub/b.csv"),
        (["data/x.zip:a.csv", "data/x.zip:b.csv"], "2 files: x.zip:a.csv, x.zip:b.csv"),
        (["a.csv", "data/b.csv"], "2 files: a.csv, data/b.csv"),
        (["/srv/a.csv", "data/b.csv"], "2 files: /srv/a.csv, data/b.csv"),
        (
            ["data/a.csv", "https://example.com/b.csv"],
            "2 files: data/a.csv, https://example.com/b.csv",
        ),
    ],
)
def test_names_keep_what_tells_them_apart(sources, words):
    assert files_words(snapshots(*sources)) == words


def test_many_files_name_the_first_and_count_the_rest():
    read = snapshots(*(f"data/f{i:02}.csv" for i in range(12)))
    assert files_words(read, shown=3) == "12 files: f00.csv, f01.csv, f02.csv … and 9 more"


def test_nothing_read_says_nothing():
    assert files_words([]) is None
