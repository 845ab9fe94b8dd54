import csv
import io

from agents.artifacts import Review
from bot.slack.messages.actions import DISCARD, MERGE, ButtonRef
from bot.slack.messages.review import render_review
from bot.slack.messages.review_file import review_report
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE, ref, reject, snapshot, table_review


def test_review_shows_changes_schema_samples_rejects_checks_and_clean_merge(review):
    message = render_review(review, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "*people* — added (schema changed): +870 added, 0 modified, 0 deleted" in text
    assert "rows 0 → 870" in text
    assert "Schema:\n```\nCREATE TABLE `people`" in text
    assert "Sample rows:\n```\nadded    id=1, name='Ann', age=34\n```" in text
    assert "*2 row(s) rejected*" in text
    assert "people.csv:7 column age value 'abc': not an integer" in text
    assert "✓ source rows = loaded + filtered + rejected" in text
    assert "Merges cleanly into `main`" in text
    assert "commit `0123456789ab`" in text
    assert message.files == ()


def test_merge_is_primary_with_a_confirm_dialog_and_discard_asks_too(review):
    message = render_review(review, ref=ref("review", 4))
    merge, discard = elements(message.blocks, "button")
    assert (merge["action_id"], merge["text"]["text"]) == (MERGE, "Merge into main")
    assert merge["style"] == "primary"
    assert merge["confirm"]["confirm"]["text"] == "Merge"
    assert "import/20250101-abc123" in merge["confirm"]["text"]["text"]
    assert (discard["action_id"], discard["style"]) == (DISCARD, "danger")
    assert "confirm" in discard
    assert ButtonRef.decode(merge["value"]) == ref("review", 4)


def test_people_who_cannot_merge_get_discard_only(review):
    message = render_review(review, ref=ref("review"), can_merge=False)
    assert_valid_message(message)
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [DISCARD]
    assert "Only people allowed to merge" in mrkdwn_text(message.blocks)


def test_conflicts_are_previewed_and_merge_is_not_offered(review):
    conflicted = review.model_copy(update={"conflicts": ["people: 3 conflicting row(s)"]})
    message = render_review(conflicted, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "Merging into main would conflict" in text and "people: 3 conflicting row(s)" in text
    assert MERGE not in [x["action_id"] for x in elements(message.blocks, "button")]


def test_a_review_with_60_tables_stays_within_limits_and_attaches_the_full_review(review):
    tables = [table_review(f"table_{i:02}", rows_added=i) for i in range(60)]
    big = review.model_copy(update={"tables": tables})
    message = render_review(big, ref=ref("review"))
    assert_valid_message(message)
    [file] = message.files
    assert file.filename == "review-20250101-abc123.txt"
    assert all(f"table_{i:02}" in file.content for i in range(60))
    assert "CREATE TABLE `table_59`" in file.content
    text = mrkdwn_text(message.blocks)
    assert "full review is attached as a file" in text and "table_00" in text
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [MERGE, DISCARD]


def test_many_rejects_show_the_first_few_and_attach_a_csv(review):
    rejects = [reject(i, '=HYPERLINK("http://evil")' if i == 3 else str(i)) for i in range(40)]
    many = review.model_copy(update={"rejected_rows": 40, "rejects": rejects})
    message = render_review(many, ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "people.csv:4 column age" in text and "people.csv:5 column" not in text
    assert "full list is attached as a file: `rejects-20250101-abc123.csv`" in text
    [file] = [f for f in message.files if f.filename.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(file.content)))
    assert len(rows) == 40 and rows[7]["line"] == "7"
    assert rows[3]["value"].startswith("'=")  # no formula runs when the file is opened


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
    )
    message = render_review(hostile, ref=ref("review"))
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    for block in message.blocks:
        text = block.get("text", {}).get("text", "")
        assert text.count("```") % 2 == 0  # every code block still closes where we closed it
    assert "+CREATE TABLE x (a INT, `" in mrkdwn_text(message.blocks)


def test_each_source_is_named_with_its_size_and_short_sha256(review):
    people = snapshot("families/people.csv", b"id,name\n1,Ann\n")
    hostile = snapshot(HOSTILE, b"x")
    message = render_review(
        review.model_copy(update={"sources": [people, hostile]}), ref=ref("review")
    )
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    text = mrkdwn_text(message.blocks)
    line = f"• `families/people.csv` · 14 bytes · sha256 `{people.sha256[:12]}`"
    assert f"*Sources:*\n{line}\n" in text
    assert people.sha256 not in text  # 12 digits on screen; the commit has all 64
    report = review_report(review.model_copy(update={"sources": [people]}))
    assert f"families/people.csv  14 bytes  sha256:{people.sha256}" in report


def test_a_thousand_sources_stay_within_the_limits(review):
    sources = [snapshot(f"data/part-{i:04}.csv", str(i).encode()) for i in range(1000)]
    message = render_review(review.model_copy(update={"sources": sources}), ref=ref("review"))
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


def test_modified_rows_show_only_their_changed_cells_before_and_after_with_null_and_cuts(review):
    upserted = review.model_copy(update={"tables": [UPSERTED]})
    text = mrkdwn_text(render_review(upserted, ref=ref("review")).blocks)
    assert "*1 table(s) changed*: 1 row(s) added, 3 modified, 1 deleted." in text
    assert "added    id=6, name='Don', age=NULL\n" in text  # NULL, never None
    assert "modified id=1, age=34 → 35\n" in text
    assert "modified id=2, name=NULL → 'Bo'\n" in text
    assert "None" not in text
    report = review_report(upserted)  # the review file shows every sample the same way
    assert "modified id=3, name='y' → '" + "x" * 58 + "…" in report
    assert "removed  id=5, name='Eve', age=50" in report


def test_samples_of_old_job_records_still_load_and_render(review):
    old = Review.model_validate_json(review.model_dump_json()).tables[0]
    assert old.samples[0].row == {"id": 1, "name": "Ann", "age": 34}  # the factory's old shape
    assert old.samples[0].change == "added" and old.samples[0].before == {}
    assert "added    id=1, name='Ann', age=34" in review_report(review)


def test_an_attached_review_attaches_each_tables_changed_rows_with_the_command(review):
    tables = [UPSERTED, *(table_review(f"t{i}") for i in range(59))]
    message = render_review(review.model_copy(update={"tables": tables}), ref=ref("review"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    diff_files = [f for f in message.files if f.filename.startswith("diff-")]
    assert [f.filename for f in diff_files] == ["diff-20250101-abc123-people.csv"]
    assert diff_files[0].content == UPSERTED.diff_csv
    assert "`diff-20250101-abc123-people.csv`: the first 2 of 5 changed rows" in text
    assert "`importbot diff 20250101-abc123 --table people --all`" in text
