"""The Slack side of the port: progress edited in place and throttled, rate limits honoured."""

from __future__ import annotations

import json
import time

import pytest
import redis

from agents.artifacts import ImportPlan, ImportRequest, PlanStep, Review, TableReview
from bot.slack.client import web_client
from bot.slack.port import SlackPort
from bot.slack.settings import SlackSettings
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from tests.fakes.slack_api import SlackApiEmulator
from workers.job import AuditEntry, Job, Person, Place
from workers.stage_table import Stage
from workers.states import Status


@pytest.fixture
def slack_and_port():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    with SlackApiEmulator() as slack:
        settings = SlackSettings(
            bot_token="xoxb-test-token", signing_secret="s", api_url=slack.base_url
        )
        yield slack, SlackPort(web_client(settings), client, progress_every=60)
    client.flushdb()


def _job() -> Job:
    return Job(
        id="20261121-abcdef",
        requester=Person(id="U1", name="Ada"),
        place=Place(kind="slack", channel="C1", thread_ts="1.1"),
        text="import x into y",
    )


def _planned_job(tables: int) -> Job:
    job = _job()
    plan = ImportPlan(
        steps=[
            PlanStep(
                table=f"t{i:02}",
                select="SELECT 1",
                mode="create",
                source_rows=100,
                expected_rows=100,
            )
            for i in range(tables)
        ]
    )
    job.add_artifact(Stage.PLAN, plan)
    return job


def _review_of(job: Job, rejected: dict[str, int]) -> Review:
    tables = [
        TableReview(
            name=step.table,
            change="added",
            rows_added=100 - rejected.get(step.table, 0),
            rows_modified=0,
            rows_deleted=0,
            rows_before=0,
            rows_after=100 - rejected.get(step.table, 0),
            schema_change=True,
            schema_before=None,
            schema_after=None,
            rows_rejected=rejected.get(step.table, 0),
        )
        for step in job.import_plan().steps
    ]
    return Review(
        job_id=job.id,
        database="d",
        branch=f"import/{job.id}",
        commit=None,
        tables=tables,
        rejected_rows=sum(rejected.values()),
        rejects=[],
    )


def test_progress_is_one_checklist_edited_at_most_every_few_seconds_and_at_the_end(slack_and_port):
    slack, port = slack_and_port
    job = _planned_job(50)
    for step in job.import_plan().steps:  # 50 tables, each loaded in two batches
        port.progress(job, step.table, 50, 100)
        port.progress(job, step.table, 100, 100)
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("chat.update")) == 0  # a table finishing does not force an edit
    (message,) = slack.messages("C1")
    text = message.blocks[0]["text"]["text"]
    assert message.thread_ts == "1.1"
    assert "`t00` \u2014 loading 50 of 100 rows (50%)" in text
    assert "`t01` \u2014 waiting (100 rows)" in text  # every planned table is on the list
    port.review(job, _review_of(job, {"t03": 2}), version=1)
    (edit,) = slack.calls("chat.update")  # the end always goes out
    shown = (
        json.loads(edit.args["blocks"])[0]["text"]["text"]
        if isinstance(edit.args["blocks"], str)
        else edit.args["blocks"][0]["text"]["text"]
    )
    assert "Loaded 50 tables" in shown
    assert "`t03` \u2014 done \u00b7 +98 added \u00b7 2 rejected" in shown
    assert "`t49` \u2014 done \u00b7 +100 added" in shown


def test_a_rate_limit_on_progress_never_slows_the_load(slack_and_port):
    slack, _ = slack_and_port
    job = _planned_job(2)
    port = SlackPort(
        web_client(
            SlackSettings(bot_token="xoxb-test-token", signing_secret="s", api_url=slack.base_url)
        ),
        redis.Redis.from_url(REDIS_URL),
        progress_every=0,
    )
    port.progress(job, "t00", 10, 100)  # posts the checklist
    slack.rate_limit("chat.update", times=1, retry_after=30)
    started = time.monotonic()
    for done in range(20, 101, 10):
        port.progress(job, "t00", done, 100)
    assert time.monotonic() - started < 1.0  # no wait for Retry-After while loading
    assert [c.rate_limited for c in slack.calls("chat.update")] == [True]  # then held back


def test_a_failed_load_shows_the_tables_it_did_not_finish_as_stopped(slack_and_port):
    slack, port = slack_and_port
    job = _planned_job(2)
    port.progress(job, "t00", 40, 100)
    job.status = Status.FAILED
    job.error = "the import stopped"
    port.finished(job)
    (edit,) = slack.calls("chat.update")
    shown = (
        json.loads(edit.args["blocks"])[0]["text"]["text"]
        if isinstance(edit.args["blocks"], str)
        else edit.args["blocks"][0]["text"]["text"]
    )
    assert "*Stopped* after 40 rows: nothing reached main" in shown
    assert "`t00` \u2014 stopped at 40 rows" in shown


def test_a_rate_limited_post_is_retried_after_retry_after(slack_and_port):
    slack, port = slack_and_port
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    port.notice(_job(), "hello")
    assert time.monotonic() - started >= 1.0
    assert [c.rate_limited for c in slack.calls("chat.postMessage")] == [True, False]


def test_a_new_version_folds_the_older_one_to_a_line_saying_what_changed(slack_and_port):
    slack, port = slack_and_port
    job = _planned_job(1)
    first = ImportRequest(sources=["a.csv"], database="d", summary="Import a.csv into d.")
    job.add_artifact(Stage.UNDERSTANDING, first)
    port.understanding(job, first, version=1)
    second = first.model_copy(update={"key": ["id"]})
    job.add_artifact(Stage.UNDERSTANDING, second, feedback="use id as the key")
    port.understanding(job, second, version=2)
    (update,) = slack.calls("chat.update")
    v1, v2 = slack.messages("C1")
    assert update.args["ts"] == v1.ts
    assert [b["type"] for b in v1.blocks] == ["context"]  # one line, no buttons
    assert "version 1) was replaced by version 2 (what changed: “use id as the key”)" in v1.text
    assert any(b["type"] == "actions" for b in v2.blocks)


def test_a_merge_from_anywhere_takes_the_buttons_off_the_review_in_the_thread(slack_and_port):
    slack, port = slack_and_port
    job = _planned_job(1)
    review = _review_of(job, {})
    job.add_artifact(Stage.REVIEW, review)
    port.review(job, review, version=1)
    review_ts = next(m.ts for m in slack.messages("C1") if m.text.startswith("Review of"))
    job.status = Status.MERGED
    job.audit.append(AuditEntry(actor="UGRACE01", action="merged", status_to=Status.MERGED))
    port.finished(job)
    shown = next(m for m in slack.messages("C1") if m.ts == review_ts)
    assert not any(b["type"] == "actions" for b in shown.blocks)
    assert "<@UGRACE01> chose *Merge into main*" in json.dumps(shown.blocks)
    assert shown.text.startswith("<@UGRACE01> chose Merge into main")


def test_a_version_posted_again_folds_its_earlier_message(slack_and_port):
    slack, port = slack_and_port
    job = _planned_job(1)
    request = ImportRequest(sources=["a.csv"], database="d", summary="Import a.csv into d.")
    job.add_artifact(Stage.UNDERSTANDING, request)
    port.understanding(job, request, version=1)
    port.understanding(job, request, version=1)  # a change that could not be made: shown again
    earlier, again = slack.messages("C1")
    assert earlier.text == "This understanding (version 1) is shown again below."
    assert any(b["type"] == "actions" for b in again.blocks)


def test_a_revision_gets_its_own_checklist_and_folds_the_older_review_with_its_reply(
    slack_and_port,
):
    slack, port = slack_and_port
    job = _planned_job(1)
    first = _review_of(job, {})
    job.add_artifact(Stage.REVIEW, first)
    port.progress(job, "t00", 100, 100)
    port.review(job, first, version=1)
    second = first.model_copy(update={"revision": 2, "change": "only rows where age >= 30"})
    job.add_artifact(Stage.REVIEW, second)
    port.progress(job, "t00", 60, 100)  # the revision's load: a checklist of its own
    port.review(job, second, version=2)
    checklists = [m for m in slack.messages("C1") if m.text.startswith("Loaded")]
    assert len(checklists) == 2
    folded = [m for m in slack.messages("C1") if "was replaced by version 2" in m.text]
    assert len(folded) == 2  # the review and its details reply
    assert "(what changed: “only rows where age &gt;= 30”)" in folded[0].text  # escaped
