"""Reverting a merge commit on a branch of its own (doltlite): the branch loses what the merge
brought; a revert that meets rows main changed since stops with the conflicts read and leaves
the branch as it was."""

import pytest

from dolt.errors import MergeConflict
from tests.conftest import MERGER, REQUESTER
from tests.dolt.test_embedded_merge import write


@pytest.fixture
def merged(families):
    """families with import/a (persons 100 and 101, person 5 renamed) merged into main."""
    families.create_branch(name="import/a")
    write(families, "import/a", [(100, "new", 30), (101, "new", 31), (5, "renamed", 40)])
    return families, families.merge(branch="import/a", message="Merge import/a", author=MERGER)


def _rows(database, ref):
    return {r["id"]: r["name"] for r in database.read_rows(table="people", ref=ref, limit=100)}


def test_a_merge_reverted_on_a_branch_leaves_main_as_it_is(merged):
    families, merge = merged
    main = families.branch(name="main").head
    families.create_branch(name="import/r")
    commit = families.revert(commit=merge.hash, author=REQUESTER, branch="import/r")
    branch = families.branch(name="import/r")
    assert branch.head == commit and branch.author == "Ada Lovelace"
    on_branch = _rows(families, "import/r")
    assert 100 not in on_branch and 101 not in on_branch and on_branch[5] == "person 5"
    assert families.branch(name="main").head == main and _rows(families, "main")[5] == "renamed"
    summary = {t.name: t for t in families.diff_summary(branch="import/r").tables}
    assert (summary["people"].rows_deleted, summary["people"].rows_modified) == (2, 1)


def test_a_revert_meeting_rows_main_changed_since_raises_with_the_conflicts(merged):
    families, merge = merged
    write(families, "main", [(5, "changed on main", 41)], message="edit person 5")
    families.create_branch(name="import/r")
    start = families.branch(name="import/r").head
    with pytest.raises(MergeConflict) as raised:
        families.revert(commit=merge.hash, author=REQUESTER, branch="import/r")
    (conflict,) = raised.value.preview.data_conflicts
    assert (conflict.table, conflict.count) == ("people", 1)
    assert "Nothing was changed" in str(raised.value)
    after = next(b for b in families.list_branches() if b.name == "import/r")
    assert after.head == start
    dirty = families._main.execute(
        "SELECT dirty FROM dolt_branches WHERE name = 'import/r'"
    ).fetchone()
    assert dirty == (0,)
