"""A review shown against the one computed now: what changed that a person merging would want
to know (pure), and the recheck a merge makes on a real doltlite database."""

from __future__ import annotations

from agents.artifacts import Review
from agents.artifacts import TestOutcome as Outcome
from agents.execution.review import build_review
from agents.execution.staleness import recheck_review, review_changes
from dolt.models import WriteMode
from tests.agents.test_merge_impact import _review, _table
from tests.conftest import REQUESTER

UPSERT = WriteMode.UPSERT


def _with(review: Review, **update) -> Review:
    return review.model_copy(update=update)


def _test(name: str, status: str, message: str = "") -> Outcome:
    return Outcome(name=name, group="import", query="select 0", status=status, message=message)


def test_the_same_review_has_no_changes():
    review = _review(_table("people", added=3))
    assert review_changes(review, _with(review, main_head="b" * 40)) == []


def test_counts_conflicts_destructive_lines_and_tables_are_compared():
    shown = _review(_table("people", added=50, modified=3), _table("pets", added=1))
    now = _with(
        _review(_table("people", added=50, modified=2), _table("towns", added=4)),
        conflicts=["people: 1 conflicting row(s)"],
        destructive=["people: upsert — merging overwrites 2 rows of main with the file's values"],
    )
    assert review_changes(shown, now) == [
        "people: now adds 50, changes 2, deletes 0 (was adds 50, changes 3, deletes 0)",
        "pets: no longer changed",
        "towns: now changed too (adds 4, changes 0, deletes 0)",
        "new conflict (people: 1 conflicting row(s))",
        "new warning (people: upsert — merging overwrites 2 rows of main with the file's values)",
    ]
    assert review_changes(now, _with(now, conflicts=[])) == [
        "conflict gone (people: 1 conflicting row(s))"
    ]


def test_a_test_that_now_fails_is_said_with_its_message_and_one_that_now_passes_too():
    shown = _with(_review(), tests=[_test("no_minors", "PASS"), _test("keys", "FAIL")])
    now = _with(
        shown,
        tests=[
            _test("no_minors", "FAIL", "expected 0, got 2"),
            _test("keys", "PASS"),
            _test("new_and_passing", "PASS"),
            _test("new_and_failing", "FAIL"),
        ],
    )
    assert review_changes(shown, now) == [
        "test 'no_minors' now fails (expected 0, got 2)",
        "test 'keys' now passes",
        "test 'new_and_failing' now fails",
    ]


def _upsert_ada(database, branch: str, name: str) -> None:
    with database.write_session(branch=branch) as session:
        session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=[(1, name, 19)], mode=UPSERT
        )
        session.commit(message=f"Ada is {name}", author=REQUESTER)


def test_a_recheck_finds_main_moved_only_when_it_changes_the_review(families):
    families.create_branch(name="import/j1")
    _upsert_ada(families, "import/j1", "Ada L.")
    shown = build_review(families, branch="import/j1")
    assert shown.main_head == families.branch(name="main").head and shown.conflicts == []
    assert recheck_review(families, shown=shown) is None  # main is where the review saw it

    with families.write_session(branch="main") as session:  # another table: nothing to say
        session.execute_ddl(sql="CREATE TABLE pets (id INT PRIMARY KEY, name TEXT)")
        session.commit(message="pets", author=REQUESTER)
    assert recheck_review(families, shown=shown) is None

    _upsert_ada(families, "main", "Ada King")  # the row the branch changes
    outdated = recheck_review(families, shown=shown)
    assert outdated is not None
    assert outdated.changes == ["new conflict (people: 1 conflicting row(s))"]
    assert outdated.review.main_head == families.branch(name="main").head
    assert outdated.review.conflicts == ["people: 1 conflicting row(s)"]
    assert outdated.words == (
        "main moved since the review in a way that changes it: new conflict (people: 1 "
        "conflicting row(s))"
    )
    assert outdated.in_short == "main moved: new conflict (people: 1 conflicting row(s))"
