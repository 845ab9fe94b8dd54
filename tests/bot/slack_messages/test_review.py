"""The review in Slack: the first screen (verdict, totals, buttons, a line per table, rows of
main that change) and the reply with the rest (sources, samples, checks, tests, rejects, the
diff as CSV with the commands that show it)."""

import csv
import io

from agents.artifacts import Review, TestOutcome
from bot.slack.messages.actions import CHANGE_IMPORT, DISCARD, MERGE, ButtonRef
from bot.slack.messages.limits import text_length
from bot.slack.messages.review import render_review, render_review_details
from bot.slack.messages.review_file import review_report
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE, ref, reject, snapshot, table_review

ONE_SCREEN_BLOCKS = 8
ONE_SCREEN_CHARACTERS = 1600
"""About what a desktop Slack window shows of one message without scrolling."""


def _on_one_screen(message):
    assert len(message.blocks) <= ONE_SCREEN_BLOCKS
    assert text_length(message.blocks) <= ONE_SCREEN_CHARACTERS
    kinds = [block["type"] for block in message.blocks]
    assert kinds.index("actions") <= 3  # the buttons come right after the verdict and totals


def _families(**overrides) -> Review:
    people_ddl = (
        "CREATE TABLE `people` (\n  `id` INT NOT NULL,\n  `name` VARCHAR(32),\n"
        "  `age` TINYINT,\n  PRIMARY KEY (`id`)\n)"
    )
    marriages_ddl = (
        "CREATE TABLE `marriages` (\n  `person1_id` INT,\n  `person2_id` INT,\n"
        "  `marriage_date` DATE,\n  `divorce_date` DATE,\n"
        "  FOREIGN KEY (`person1_id`) REFERENCES `people` (`id`),\n"
        "  FOREIGN KEY (`person2_id`) REFERENCES `people` (`id`)\n)"
    )
    tables = [
        table_review("people", schema_after=people_ddl, rows_added=50, rows_after=50),
        table_review("marriages", schema_after=marriages_ddl, rows_added=21, rows_after=21),
        table_review("birthdays", rows_added=50, rows_after=50),
        table_review("parents", rows_added=44, rows_after=44),
    ]
    fields = {
        "job_id": "20250101-abc123",
        "database": "fam",
        "branch": "import/20250101-abc123",
        "commit": "0123456789abcdef0123",
        "tables": tables,
        "rejected_rows": 0,
        "rejects": [],
        "filtered_rows": 7,
        "checks_passed": ["every source row accounted for (172 rows)", "keys intact"],
        "tests": [
            TestOutcome(name="people: keys unique", group="g", query="q", status="PASS"),
            TestOutcome(name="people: age >= 21", group="g", query="q", status="PASS"),
        ],
        "sources": [snapshot(f"families/{t}.csv") for t in ("people", "marriages")],
    }
    return Review(**{**fields, **overrides})


def test_a_typical_review_is_one_screen_verdict_first_then_totals_buttons_and_tables():
    message = render_review(_families(), ref=ref("review"), mergers=["U_GRACE", "S_LEADS"])
    assert_valid_message(message)
    _on_one_screen(message)
    verdict, totals = (block["text"]["text"] for block in message.blocks[1:3])
    assert verdict.startswith(":white_check_mark: *Ready to merge* — 2 checks passed · ")
    assert "2 Dolt tests pass · merges cleanly into main" in verdict
    assert "Who may merge: <@U_GRACE>, <!subteam^S_LEADS>" in verdict
    assert totals == (
        "*4 tables changed:* 165 rows added, 0 modified, 0 deleted · 0 rejected · 7 filtered out"
    )
    text = mrkdwn_text(message)
    assert "*people* — new table, 3 columns, key id · 50 rows added" in text
    assert "*marriages* — new table, 4 columns, no key, references people.id" in text
    assert "CREATE TABLE" not in text  # the schema change is a short list, never the statement
    assert "Sample rows" not in text and message.files == ()
    assert "commit `0123456789ab`" in text


def test_the_reply_holds_sources_samples_checks_tests_rejects_and_the_diff_files():
    review = _families(rejected_rows=2, rejects=[reject(7), reject(12, "twelve")])
    review = review.model_copy(
        update={
            "tables": [
                t.model_copy(update={"diff_csv": "change,id\nadded,1\n", "diff_csv_rows": 1})
                for t in review.tables
            ]
        }
    )
    message = render_review_details(review, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message)
    assert "*Sources:*\n• `families/people.csv`" in text
    assert "Sample rows:\n```\nadded    id=1, name='Ann', age=34\n```" in text
    assert "✓ every source row accounted for (172 rows)" in text
    assert "*Dolt tests* (2 pass, 0 fail):\n✓ g's (on main) 2 tests pass" in text
    assert "*2 row(s) rejected*" in text
    assert "people.csv:7 column age value 'abc': not an integer" in text
    assert [f.filename for f in message.files] == [
        f"diff-20250101-abc123-{t}.csv" for t in ("people", "marriages", "birthdays", "parents")
    ]
    assert "`importbot diff 20250101-abc123 --table TABLE --all`" in text  # 4 tables: once
    assert "SELECT * FROM \"dolt_diff_TABLE\"('main...import/20250101-abc123')" in text
    one = review.model_copy(update={"tables": review.tables[:1]})
    text = mrkdwn_text(render_review_details(one, ref=ref("review")))
    assert "`importbot diff 20250101-abc123 --table people --all`" in text
    assert "SELECT * FROM \"dolt_diff_people\"('main...import/20250101-abc123')" in text
    on_dolt = render_review_details(one.model_copy(update={"engine": "dolt"}), ref=ref("review"))
    assert "`dolt diff main...import/20250101-abc123 people`" in mrkdwn_text(on_dolt)


def test_merge_is_primary_with_a_confirm_dialog_and_discard_asks_too(review):
    message = render_review(review, ref=ref("review", 4))
    merge, change, discard = elements(message.blocks, "button")
    assert (change["action_id"], change["text"]["text"]) == (CHANGE_IMPORT, "Change…")
    assert (merge["action_id"], merge["text"]["text"]) == (MERGE, "Merge into main")
    assert merge["style"] == "primary"
    assert merge["confirm"]["confirm"]["text"] == "Merge"
    assert (discard["action_id"], discard["style"]) == (DISCARD, "danger")
    assert "confirm" in discard
    assert ButtonRef.decode(merge["value"]) == ref("review", 4)


def test_people_who_cannot_merge_get_discard_only(review):
    message = render_review(review, ref=ref("review"), can_merge=False)
    assert_valid_message(message)
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [CHANGE_IMPORT, DISCARD]
    assert "Only people allowed to merge" in mrkdwn_text(message.blocks)
    revert = render_review(review, ref=ref("review"), can_merge=False, can_change=False)
    assert [x["action_id"] for x in elements(revert.blocks, "button")] == [DISCARD]


def test_conflicts_make_the_verdict_not_ready_and_merge_is_not_offered(review):
    conflicted = review.model_copy(update={"conflicts": ["people: 3 conflicting row(s)"]})
    message = render_review(conflicted, ref=ref("review"))
    assert_valid_message(message)
    verdict = message.blocks[1]["text"]["text"]
    assert verdict == ":no_entry: *Not ready to merge:*\n• people: 3 conflicting row(s)"
    assert MERGE not in [x["action_id"] for x in elements(message.blocks, "button")]
    details = mrkdwn_text(render_review_details(conflicted, ref=ref("review")))
    assert "What blocks the merge into main" in details


def test_a_failing_dolt_test_makes_the_verdict_not_ready_and_names_the_test():
    failing = TestOutcome(
        name="people: age >= 21",
        group="import/x",
        query="SELECT COUNT(*) FROM people WHERE NOT (age >= 21)",
        status="FAIL",
        message="Assertion failed: expected_single_value equal to 0, got 1",
    )
    review = _families(tests=[failing])
    message = render_review(review, ref=ref("review"))
    verdict = message.blocks[1]["text"]["text"]
    assert verdict.startswith(
        ":no_entry: *Not ready to merge:*\n• Dolt test 'people: age &gt;= 21'"
    )
    assert "got 1" in verdict
    assert MERGE not in [x["action_id"] for x in elements(message.blocks, "button")]
    details = mrkdwn_text(render_review_details(review, ref=ref("review")))
    assert "*Dolt tests* (0 pass, 1 fail):\n✗ people: age &gt;= 21 — Assertion failed" in details


def test_a_review_with_60_tables_is_one_screen_and_the_reply_attaches_the_full_review(review):
    tables = [table_review(f"table_{i:02}", rows_added=i) for i in range(60)]
    big = review.model_copy(update={"tables": tables, "rejected_rows": 0, "rejects": []})
    message = render_review(big, ref=ref("review"))
    assert_valid_message(message)
    _on_one_screen(message)
    text = mrkdwn_text(message)
    assert "*table_07*" in text and "*table_08*" not in text
    assert "… and 52 more tables, in the reply below" in text
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [
        MERGE,
        CHANGE_IMPORT,
        DISCARD,
    ]
    details = render_review_details(big, ref=ref("review"))
    assert_valid_message(details)
    [file] = details.files
    assert file.filename == "review-20250101-abc123.txt"
    assert all(f"table_{i:02}" in file.content for i in range(60))
    assert "CREATE TABLE `table_59`" in file.content  # the whole statement, in the file
    assert "full review is attached as a file" in mrkdwn_text(details)


def test_many_rejects_show_the_first_few_and_attach_a_csv(review):
    rejects = [reject(i, '=HYPERLINK("http://evil")' if i == 3 else str(i)) for i in range(40)]
    many = review.model_copy(update={"rejected_rows": 40, "rejects": rejects})
    message = render_review_details(many, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "people.csv:4 column age" in text and "people.csv:5 column" not in text
    assert "full list is attached as a file: `rejects-20250101-abc123.csv`" in text
    [file] = [f for f in message.files if f.filename.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(file.content)))
    assert len(rows) == 40 and rows[7]["line"] == "7"
    assert rows[3]["value"].startswith("'=")  # no formula runs when the file is opened
    assert "40 rejected" in mrkdwn_text(render_review(many, ref=ref("review")))


def test_hostile_cells_names_and_conflicts_are_escaped(review):
    hostile = Review(
        job_id="j",
        database=HOSTILE,
        branch="import/j",
        commit=None,
        tables=[
            table_review(
                HOSTILE,
                change="modified",
                schema_before="CREATE TABLE x (a INT)",
                schema_after=f"CREATE TABLE x (a INT, `{HOSTILE}` TEXT)",
                samples=[{"change": "added", HOSTILE: HOSTILE}],
            )
        ],
        rejected_rows=1,
        rejects=[reject(1, HOSTILE)],
        conflicts=[HOSTILE],
        checks_passed=[HOSTILE],
        tests=[TestOutcome(name=HOSTILE, group=HOSTILE, query="q", status="FAIL", message=HOSTILE)],
    )
    for message in (
        render_review(hostile, ref=ref("review")),
        render_review_details(hostile, ref=ref("review")),
    ):
        assert_valid_message(message)
        assert_no_markup_from("channel", message)
        for block in message.blocks:
            text = block.get("text", {}).get("text", "")
            assert text.count("```") % 2 == 0  # every code block still closes where we closed it


def test_each_source_is_named_with_its_size_and_short_sha256(review):
    people = snapshot("families/people.csv", b"id,name\n1,Ann\n")
    hostile = snapshot(HOSTILE, b"x")
    with_sources = review.model_copy(update={"sources": [people, hostile]})
    message = render_review_details(with_sources, ref=ref("review"))
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    text = mrkdwn_text(message.blocks)
    line = f"• `families/people.csv` · 14 bytes · sha256 `{people.sha256[:12]}`"
    assert f"*Sources:*\n{line}\n" in text
    assert people.sha256 not in text  # 12 digits on screen; the commit has all 64
    report = review_report(review.model_copy(update={"sources": [people]}))
    assert f"families/people.csv  14 bytes  sha256:{people.sha256}" in report
    assert "2 sources" in mrkdwn_text(render_review(with_sources, ref=ref("review")))


def test_a_thousand_sources_stay_within_the_limits(review):
    sources = [snapshot(f"data/part-{i:04}.csv", str(i).encode()) for i in range(1000)]
    many = review.model_copy(update={"sources": sources})
    assert_valid_message(render_review(many, ref=ref("review")))
    message = render_review_details(many, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "`data/part-0000.csv`" in text and "more" in text and "part-0999" not in text
    [file] = message.files  # the full review names every source with its whole sha256
    assert f"data/part-0999.csv  3 bytes  sha256:{sources[-1].sha256}" in file.content


UPSERTED = table_review(
    "people",
    change="modified",
    rows_added=1,
    rows_modified=3,
    rows_deleted=1,
    rows_before=5,
    rows_after=5,
    schema_change=False,
    samples=[
        {"change": "added", "row": {"id": 6, "name": "Don", "age": None}},
        {"change": "modified", "row": {"id": 1, "age": 35}, "before": {"age": 34}},
        {"change": "modified", "row": {"id": 2, "name": "Bo"}, "before": {"name": None}},
        {"change": "modified", "row": {"id": 3, "name": "x" * 200}, "before": {"name": "y"}},
        {"change": "removed", "row": {"id": 5, "name": "Eve", "age": 50}},
    ],
    diff_csv="change,id,name,age\nadded,6,Don,\n",
    diff_csv_rows=2,
)


def test_rows_of_main_that_change_are_on_the_first_screen_before_and_after(review):
    upserted = review.model_copy(
        update={
            "tables": [UPSERTED, table_review("towns")],
            "destructive": ["people: upsert — merging overwrites 3 rows of main"],
        }
    )
    message = render_review(upserted, ref=ref("review"))
    _on_one_screen(message)
    text = mrkdwn_text(message.blocks)
    assert "*2 tables changed:* 871 rows added, 3 modified, 1 deleted" in text
    assert ":warning: *Merging deletes or overwrites rows on main:*" in text
    assert "*people* — schema unchanged · +1 added, 3 modified, 1 deleted (5 → 5 rows)" in text
    assert text.index("*people*") < text.index("*towns*")  # what changes main comes first
    assert "people: modified id=1, age=34 → 35\n" in text
    assert "people: modified id=2, name=NULL → 'Bo'\n" in text
    assert "people: removed  id=5, name='Eve', age=50" in text
    assert "id=6" not in text  # added rows wait in the reply
    details = mrkdwn_text(render_review_details(upserted, ref=ref("review")).blocks)
    assert "added    id=6, name='Don', age=NULL\n" in details  # NULL, never None
    assert "None" not in details
    report = review_report(upserted)  # the review file shows every sample the same way
    assert "modified id=3, name='y' → '" + "x" * 58 + "…" in report
    assert "removed  id=5, name='Eve', age=50" in report
    assert report.startswith("Ready to merge:\n")


def test_samples_of_old_job_records_still_load_and_render(review):
    old = Review.model_validate_json(review.model_dump_json()).tables[0]
    assert old.samples[0].row == {"id": 1, "name": "Ann", "age": 34}  # the factory's old shape
    assert old.samples[0].change == "added" and old.samples[0].before == {}
    assert "added    id=1, name='Ann', age=34" in review_report(review)


def test_the_reply_attaches_each_tables_changed_rows_riskiest_first_with_the_commands(review):
    tables = [*(table_review(f"t{i}") for i in range(59)), UPSERTED]
    message = render_review_details(review.model_copy(update={"tables": tables}), ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    diff_files = [f for f in message.files if f.filename.startswith("diff-")]
    assert [f.filename for f in diff_files] == ["diff-20250101-abc123-people.csv"]
    assert diff_files[0].content == UPSERTED.diff_csv
    assert "`diff-20250101-abc123-people.csv`: the first 2 of 5 changed rows" in text
    assert "`importbot diff 20250101-abc123 --table people --all`" in text
