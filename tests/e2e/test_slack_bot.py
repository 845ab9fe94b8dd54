"""The Slack bot end to end: signed requests to its HTTP app, a real worker, the real Redis,
and a Slack Web API emulator standing in for slack.com."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.messages import actions as ids
from bot.slack.messages.actions import QuestionRef
from dolt import open_server
from tests.e2e.slack_world import CHANNEL, SECRET, SlackWorld, has_action
from tests.workers.conftest import wait_for_status
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"


@pytest.fixture
def world(place, workers, redis_db):
    built = SlackWorld(place, workers)
    yield built
    built.close()


def _job(world, thread_ts):
    return world.intake.store.find_by_thread(CHANNEL, thread_ts)


def _database(world, name="families"):
    return open_server(f"doltlite:{world.place / 'dbs'}").database(name=name)


def test_a_mention_goes_through_every_stage_to_a_merge_by_an_allowed_user(world):
    from tests.fakes.openai_server import ScriptedOpenAI
    from tests.fakes.scripted_import import grown_ups_script

    script = grown_ups_script(data_root=world.place / "data", scratch=world.place / "scratch")
    with ScriptedOpenAI(script) as model:
        world.start_worker(**model.client_env)
        thread = world.mention("bring in the grown-ups from the people file of families")
        understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
        assert world.click(understanding, ids.CONFIRM_UNDERSTANDING) == 200

        questions = world.wait_message(thread, ids.SUBMIT_ANSWERS)
        block = next(
            b
            for b in questions.blocks
            if b.get("accessory", {}).get("action_id") == ids.ANSWER_QUESTION
        )
        assert QuestionRef.decode(block["block_id"]).question_id == "people_key"
        state = {
            block["block_id"]: {
                ids.ANSWER_QUESTION: {
                    "type": "static_select",
                    "selected_option": {"value": "0", "text": {"type": "plain_text", "text": "id"}},
                }
            }
        }
        world.click(questions, ids.SUBMIT_ANSWERS, state=state)
        answered = next(m for m in world.thread(thread) if m.ts == questions.ts)
        assert "→ *id*" in json.dumps(answered.blocks, ensure_ascii=False)  # the answer stays

        schema = world.wait_message(thread, ids.APPROVE_SCHEMA)
        assert "CREATE TABLE" in json.dumps(schema.blocks)
        world.click(schema, ids.APPROVE_SCHEMA)
        plan = world.wait_message(thread, ids.RUN_PLAN)
        world.click(plan, ids.RUN_PLAN)
        review = world.wait_message(thread, ids.MERGE)
        model.assert_exhausted()
    verdict = review.blocks[1]["text"]["text"]  # the verdict first, then the totals, then buttons
    assert verdict.startswith(":white_check_mark: *Ready to merge* — ")
    assert "Who may merge: <!subteam^S_MERGERS>" in verdict
    assert [b["type"] for b in review.blocks].index("actions") == 3
    assert "CREATE TABLE" not in json.dumps(review.blocks)
    details = world.wait_text(thread, "Details of the review")  # the rest, in the next reply
    assert "Sample rows" in json.dumps(details.blocks) and "importbot diff" in json.dumps(
        details.blocks
    )

    job = _job(world, thread)
    assert job.status == Status.AWAITING_REVIEW and job.answers == {"people_key": "id"}
    # after a decision the message shows who decided, and its buttons are gone
    decided = next(m for m in world.thread(thread) if m.ts == schema.ts)
    assert "U_ADA" in json.dumps(decided.blocks)
    assert not any(b.get("type") == "actions" for b in decided.blocks)

    world.click(review, ids.MERGE, user="U_ADA")  # the requester is not a merger here
    world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_ADA")
    assert any("not allowed" in text for text in world.ephemerals_to("U_ADA"))
    assert _job(world, thread).status == Status.AWAITING_REVIEW
    database = _database(world)
    assert "people" not in database.list_tables()
    branch = database.branch(name=job.branch)  # committed as the requester, from users.info
    assert (branch.author, branch.author_email) == ("Ada Lovelace", "ada@example.com")

    world.click(review, ids.MERGE, user="U_GRACE")  # in the S_MERGERS group
    world.wait_text(thread, "merged")
    job = _job(world, thread)
    assert job.status == Status.MERGED
    assert database.count_rows(table="people") == 39
    main = database.branch(name="main")
    assert (main.author, main.author_email) == ("Grace Hopper", "grace@example.com")
    assert [e.actor for e in job.audit if e.status_to == Status.MERGED] == ["U_GRACE"]


def _to_review(world, thread):
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.click(world.wait_message(thread, action), action)
    return world.wait_message(thread, ids.MERGE)


def test_a_csv_attached_to_the_request_is_imported_and_discard_removes_the_branch(world):
    world.start_worker()
    csv = b"sku,name,price\nA-1,Widget,2.50\nA-2,Gadget,10.00\nA-3,Gizmo,7.25\n"
    attached = world.emulator.add_file("products.csv", csv)
    thread = world.mention("import products.csv into database shop", files=[attached])
    review = _to_review(world, thread)
    job = _job(world, thread)
    database = _database(world, "shop")
    assert database.count_rows(table="products", ref=job.branch) == 3
    downloads = [c for c in world.emulator.calls() if c.method.startswith("files-pri")]
    assert all(c.headers.get("Authorization") == "Bearer xoxb-test-token" for c in downloads)

    world.click(review, ids.DISCARD, user="U_GRACE")
    world.wait_text(thread, "discarded")
    assert _job(world, thread).status == Status.DISCARDED
    assert job.branch not in [b.name for b in database.list_branches()]
    assert "products" not in database.list_tables()


def test_an_attachment_deleted_before_the_download_fails_the_job_naming_the_file(world):
    world.start_worker()
    attached = world.emulator.add_file("products.csv", b"sku,name\nA-1,Widget\n")
    world.emulator.remove_file(attached["id"])  # Slack now answers 404 for its download
    thread = world.mention("import products.csv into database shop", files=[attached])
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    world.click(understanding, ids.CONFIRM_UNDERSTANDING)
    said = world.wait_text(thread, "could not be downloaded")
    job = wait_for_status(world.intake.store, _job(world, thread).id, Status.FAILED)
    expected = (
        "The attachment products.csv could not be downloaded: Slack answered HTTP 404 Not Found"
    )
    assert job.error is not None and job.error.startswith(expected)
    assert "Internal error" not in said.text + json.dumps(said.blocks)
    assert expected in said.text + json.dumps(said.blocks)


def test_bad_signatures_and_stale_timestamps_get_401_and_make_no_job(world):

    from tests.fakes import slack_requests as slack

    event = slack.app_mention(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700000999.000100"
    )
    body = slack.json_body(slack.event_callback(event, event_id="EvForged"))
    forged, _, _ = slack.post_signed(
        world.url, body, secret="not-the-secret", content_type=slack.JSON
    )
    stale, _, _ = slack.post_signed(
        world.url,
        body,
        secret=SECRET,
        content_type=slack.JSON,
        timestamp=int(time.time()) - 600,
    )
    assert (forged, stale) == (401, 401)
    time.sleep(0.5)
    assert world.intake.store.jobs() == []
    assert world.emulator.calls("chat.postMessage") == []


def test_an_event_delivered_three_times_makes_one_job(world):

    from tests.fakes import slack_requests as slack

    world.start_worker()
    event = slack.app_mention(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700000777.000100"
    )
    statuses = [world.post_event(event, event_id="EvThrice", retry_num=n or None) for n in range(3)]
    # … and the same message once more as a `message` event with another id
    message = slack.message_event(
        user="U_ADA", channel=CHANNEL, text=f"<@UBOT> {REQUEST}", ts="1700000777.000100"
    )
    statuses.append(world.post_event(message, event_id="EvAsMessage"))
    assert statuses == [200, 200, 200, 200]
    world.wait_message("1700000777.000100", ids.CONFIRM_UNDERSTANDING)
    time.sleep(1.0)
    assert len(world.intake.store.jobs()) == 1
    assert (
        len(
            [
                m
                for m in world.thread("1700000777.000100")
                if "understanding" in m.text.lower() or m.blocks
            ]
        )
        == 1
    )


def test_an_outdated_button_and_a_double_click_have_no_second_effect(world):
    world.start_worker()
    thread = world.mention(REQUEST)
    first = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    world.reply(thread, "key id")  # without a model the grammar reads the change
    second = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING, after=1)
    assert first.ts != second.ts
    world.click(first, ids.CONFIRM_UNDERSTANDING)
    world.emulator.wait_for("chat.postEphemeral")
    assert any("replaced" in text for text in world.ephemerals_to("U_ADA"))
    assert _job(world, thread).status == Status.AWAITING_CONFIRMATION
    world.click(second, ids.CONFIRM_UNDERSTANDING)
    world.click(second, ids.CONFIRM_UNDERSTANDING)
    schema = world.wait_message(thread, ids.APPROVE_SCHEMA)
    assert "PRIMARY KEY (`id`)" in json.dumps(schema.blocks)
    job = _job(world, thread)
    assert len([e for e in job.audit if e.action.startswith("approved understanding")]) == 1
    assert len(job.artifacts["schema"]) == 1


def test_someone_else_cannot_approve_and_cancel_in_the_thread_stops_the_job(world):
    world.start_worker()
    thread = world.mention(REQUEST)
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    world.click(understanding, ids.CONFIRM_UNDERSTANDING, user="U_EVE")
    world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_EVE")
    assert any("requester" in text for text in world.ephemerals_to("U_EVE"))
    assert _job(world, thread).status == Status.AWAITING_CONFIRMATION
    world.reply(thread, "cancel")
    wait_for_status(world.intake.store, _job(world, thread).id, Status.CANCELLED)
    world.wait_text(thread, "cancelled")


def test_a_huge_ddl_goes_out_as_a_file(world, place):
    wide = place / "data" / "wide"
    wide.mkdir()
    for n in range(14):
        (wide / f"t{n:02d}.csv").write_text("id,value\n1,a\n2,b\n")
    world.start_worker()
    thread = world.mention("import all CSV files in wide into database wide")
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    schema = world.wait_message(thread, ids.APPROVE_SCHEMA)
    assert len(schema.blocks) <= 50
    world.emulator.wait_for("files.completeUploadExternal")
    (ddl,) = [f for f in world.emulator.uploaded_files() if f.filename.startswith("ddl-")]
    assert ddl.thread_ts == thread
    assert ddl.content.decode().count("CREATE TABLE") == 14


def test_slash_command_and_app_home(world):
    from tests.fakes import slack_requests as slack

    world.start_worker()
    fields = slack.slash_command(user="U_ADA", channel=CHANNEL, text=REQUEST)
    status, _, seconds = slack.post_signed(
        world.url,
        slack.form_body(fields),
        secret=SECRET,
        content_type=slack.FORM,
    )
    assert status == 200 and seconds < 3
    parent = world.emulator.wait_for("chat.postMessage")
    thread = json.loads(parent.args.get("text") and "{}") or None  # noqa: F841
    job = None
    for _ in range(100):
        jobs = world.intake.store.jobs()
        if jobs:
            job = jobs[0]
            break

        time.sleep(0.05)
    assert job is not None and job.place.channel == CHANNEL
    world.wait_message(job.place.thread_ts, ids.CONFIRM_UNDERSTANDING)
    assert world.post_event(slack.app_home_opened(user="U_ADA")) == 200
    published = world.emulator.wait_for("views.publish")
    assert published.args["user_id"] == "U_ADA"
    assert job.id in json.dumps(published.args["view"])


def test_a_missing_file_gets_a_clear_message_in_the_thread_and_nothing_is_written(world):
    world.start_worker()
    thread = world.mention("import nowhere/missing.csv into database families")
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    wait_for_status(world.intake.store, _job(world, thread).id, Status.FAILED)
    said = world.wait_text(thread, "failed")
    assert "missing.csv" in json.dumps(said.blocks)
    server = open_server(f"doltlite:{world.place / 'dbs'}")
    assert "families" not in server.list_databases()  # a failed request leaves no database


def test_a_thread_reply_and_the_changes_modal_revise_the_ddl(world):
    from agents.artifacts import FollowUpQuestions, ImportRequest, SchemaEdit
    from agents.stages.schema import SchemaRevision
    from tests.fakes import slack_requests as slack
    from tests.fakes.openai_server import ScriptedOpenAI

    understood = ImportRequest(
        sources=["families/people.csv"],
        database="families",
        table="people",
        summary="Import families/people.csv into families.people.",
    )
    rename = SchemaEdit(action="rename", table="people", target="persons")
    script = [
        understood,
        FollowUpQuestions(questions=[]),
        SchemaRevision(),
        SchemaRevision(edits=[rename]),
        SchemaRevision(edits=[SchemaEdit(action="rename", table="persons", target="folks")]),
    ]
    with ScriptedOpenAI(script) as model:
        world.start_worker(**model.client_env)
        world.intake.reads_changes_with_model = True  # as build_intake sets it for IMPORTBOT_LLM
        thread = world.mention("please load the people file of families")
        world.click(
            world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING
        )
        first = world.wait_message(thread, ids.APPROVE_SCHEMA)
        assert "`people`" in json.dumps(first.blocks)

        world.reply(thread, "call the table persons")
        second = world.wait_message(thread, ids.APPROVE_SCHEMA, after=1)
        assert "`persons`" in json.dumps(second.blocks)
        assert "call the table persons" in model.completions[3].messages[-1]["content"]

        world.click(second, ids.CHANGE_SCHEMA)
        opened = world.emulator.wait_for("views.open")
        view = opened.args["view"]
        submitted = slack.view_submission(
            user="U_ADA",
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values={"feedback": {"feedback": {"type": "plain_text_input", "value": "folks"}}},
        )
        status, _, _ = slack.post_signed(
            world.url, slack.interactive_body(submitted), secret=SECRET, content_type=slack.FORM
        )
        assert status == 200
        third = world.wait_message(thread, ids.APPROVE_SCHEMA, after=2)
        assert "`folks`" in json.dumps(third.blocks)
        model.assert_exhausted()

    world.click(first, ids.APPROVE_SCHEMA)  # an old version's button
    world.emulator.wait_for("chat.postEphemeral")
    assert any("replaced" in text for text in world.ephemerals_to("U_ADA"))
    job = _job(world, thread)
    assert [v.version for v in job.artifacts["schema"]] == [1, 2, 3]
    assert job.artifacts["schema"][2].feedback == "folks"


def test_without_a_model_a_reply_the_grammar_reads_revises_the_schema(world, tmp_path):
    world.start_worker()
    thread = world.mention(
        "There is a MySQL compatible Dolt database server running on 127.0.0.1:3306, user "
        "'root' and password 'hunter2'. Import all CSV files in families into database families."
    )
    understanding = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)
    shown = json.dumps(understanding.blocks)
    assert "database server described in the request is not used" in shown
    world.click(understanding, ids.CONFIRM_UNDERSTANDING)
    first = world.wait_message(thread, ids.APPROVE_SCHEMA)
    assert "FOREIGN KEY" in json.dumps(first.blocks)

    world.reply(thread, "no foreign keys")
    second = world.wait_message(thread, ids.APPROVE_SCHEMA, after=1)
    edits = [c for c in world.emulator.calls("chat.update") if c.args.get("ts") == first.ts]
    assert "Revising" in json.dumps(edits[0].args)  # at once, until version 2 replaced it
    assert "was replaced by version 2" in edits[-1].args["text"]
    assert "FOREIGN KEY" not in json.dumps(second.blocks)
    job = _job(world, thread)
    assert [v.version for v in job.artifacts["schema"]] == [1, 2]
    assert job.request().overrides.foreign_keys is False
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    assert "hunter2" not in json.dumps(calls, default=str) + job.model_dump_json()
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))


def test_a_direct_message_request_with_progress_edited_in_place(world):
    from tests.fakes import slack_requests as slack

    world.start_worker()
    dm = slack.message_event(
        user="U_ADA", channel="D0ADA", text=REQUEST, ts="1700000555.000100", channel_type="im"
    )
    assert world.post_event(dm) == 200
    deadline = time.monotonic() + 30
    while not world.intake.store.jobs() and time.monotonic() < deadline:
        time.sleep(0.05)
    (job,) = world.intake.store.jobs()
    assert (job.place.channel, job.place.thread_ts) == ("D0ADA", "1700000555.000100")
    for action in (ids.CONFIRM_UNDERSTANDING, ids.APPROVE_SCHEMA, ids.RUN_PLAN):
        world.emulator.wait_for(
            "chat.postMessage", lambda c, a=action: a in json.dumps(c.args.get("blocks", ""))
        )
        (message,) = [m for m in world.emulator.messages("D0ADA") if has_action(m.blocks, action)]
        assert world.click(message, action, channel="D0ADA") == 200
    wait_for_status(world.intake.store, job.id, Status.AWAITING_REVIEW)
    world.emulator.wait_for("chat.update", lambda c: "Loaded 1 table" in c.args.get("text", ""))
    progress = [
        m for m in world.emulator.messages("D0ADA") if "Loading" in m.text or "Loaded" in m.text
    ]
    assert len(progress) == 1  # one checklist, edited in place, done at the end
    assert "`people` — done · +39 added" in progress[0].blocks[0]["text"]["text"]


def test_a_merger_merges_from_the_app_home(world):

    world.start_worker()
    thread = world.mention(REQUEST)
    _to_review(world, thread)
    job = _job(world, thread)
    blocks = world.open_home("U_GRACE")
    home = json.dumps(blocks)
    assert "Ready to merge: " in home and "rows added, 0 modified, 0 deleted" in home
    value = next(
        e["value"]
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == ids.MERGE
    )
    assert world.click_on_home("U_GRACE", blocks, ids.MERGE, value) == 200
    wait_for_status(world.intake.store, job.id, Status.MERGED)
    assert _database(world).count_rows(table="people") == 39


def test_the_same_file_again_is_asked_about_and_the_default_stops_it(world, tmp_path):
    """Issue 12, point 2 in Slack: a second request for content main already holds asks first,
    naming the import that brought it; submitting the defaults stops the job, nothing written."""
    world.start_worker()
    first = world.mention(REQUEST)
    world.click(_to_review(world, first), ids.MERGE, user="U_GRACE")
    world.wait_text(first, "merged")
    database = _database(world)
    main_before = database.branch(name="main").head

    again = world.mention(REQUEST)
    world.click(world.wait_message(again, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    questions = world.wait_message(again, ids.SUBMIT_ANSWERS)
    shown = json.dumps(questions.blocks)
    assert "families/people.csv was already imported into families.people on" in shown
    assert "stop" in shown and "upsert by id" in shown
    world.click(questions, ids.SUBMIT_ANSWERS)  # nothing chosen: the defaults, stop
    world.wait_text(again, "Stopped because families/people.csv was already imported")
    wait_for_status(world.intake.store, _job(world, again).id, Status.CANCELLED)
    assert database.branch(name="main").head == main_before
    assert database.count_rows(table="people") == 39
    assert [b.name for b in database.list_branches()] == ["main"]
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview


def test_a_merge_that_would_double_keyless_rows_is_refused_in_the_thread(world, tmp_path):
    """The same keyless file on two open threads: the second Merge is refused, saying that main
    already holds those rows; main keeps one copy."""
    (world.place / "data" / "visits.csv").write_text("city,visits\nOslo,3\nOslo,3\nRome,5\n")
    world.start_worker()
    text = "import visits.csv into database trips"
    first, second = world.mention(text), world.mention(text)  # each mention is its own thread
    first_review, second_review = _to_review(world, first), _to_review(world, second)
    world.click(first_review, ids.MERGE, user="U_GRACE")
    world.wait_text(first, "merged")
    world.click(second_review, ids.MERGE, user="U_GRACE")
    said = world.wait_text(second, "Merge refused")
    assert "visits: main already holds 3 identical row(s) this branch adds" in said.text
    assert "main moved since the review" in said.text  # the review is posted again
    again = world.wait_message(second, ids.DISCARD)
    assert again.ts != second_review.ts and not has_action(again.blocks, ids.MERGE)
    assert _job(world, second).status == Status.AWAITING_REVIEW  # discard is still offered
    assert _database(world, "trips").count_rows(table="visits") == 3
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview


def test_a_failed_job_offers_retry_and_edit_request_and_retry_goes_on_from_the_failed_step(
    world,
):
    from tests.fakes import slack_requests as slack

    world.start_worker()
    thread = world.mention("import families/later.csv into database families")
    world.click(world.wait_message(thread, ids.CONFIRM_UNDERSTANDING), ids.CONFIRM_UNDERSTANDING)
    failed = world.wait_message(thread, ids.RETRY)
    assert has_action(failed.blocks, ids.EDIT_FAILED_REQUEST)
    assert "later.csv" in json.dumps(failed.blocks)
    job = wait_for_status(world.intake.store, _job(world, thread).id, Status.FAILED)
    assert job.failed_step == "inspect"

    # Edit request opens a modal; what is sent reads the request again, with the change
    world.click(failed, ids.EDIT_FAILED_REQUEST)
    view = world.emulator.wait_for("views.open").args["view"]
    assert view["callback_id"] == ids.EDIT_REQUEST_MODAL_CALLBACK
    submitted = slack.view_submission(
        user="U_ADA",
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={"feedback": {"feedback": {"type": "plain_text_input", "value": "key id"}}},
    )
    status, _, _ = slack.post_signed(
        world.url, slack.interactive_body(submitted), secret=SECRET, content_type=slack.FORM
    )
    assert status == 200
    again = world.wait_message(thread, ids.CONFIRM_UNDERSTANDING)  # the first one was clicked
    assert "`id`" in json.dumps(again.blocks)
    world.click(again, ids.CONFIRM_UNDERSTANDING)
    failed_again = world.wait_message(thread, ids.RETRY, after=1)

    # the file arrives; Retry runs the inspection again and the job goes on to the schema
    (world.place / "data" / "families" / "later.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    assert world.click(failed_again, ids.RETRY) == 200
    world.wait_message(thread, ids.APPROVE_SCHEMA)
    job = world.intake.store.get(job.id)
    assert job.status == Status.AWAITING_SCHEMA_APPROVAL and job.error is None
    assert [e.action for e in job.audit if e.status_from == Status.FAILED] == [
        "edit_request",
        "retry",
    ]


def test_a_merger_reverts_a_merged_import_from_its_merged_message(world, tmp_path):
    """Issue 14, point 6 in Slack: the merged message offers Revert (asking first); a
    non-merger's click is refused, naming who can; a merger's click posts the revert's review
    in the same thread, and merging it takes the rows off main."""
    world.start_worker()
    thread = world.mention(REQUEST)
    world.click(_to_review(world, thread), ids.MERGE, user="U_GRACE")
    merged = world.wait_message(thread, ids.REVERT)
    job = _job(world, thread)
    assert job.status == Status.MERGED
    button = next(e for b in merged.blocks if b["type"] == "actions" for e in b["elements"])
    assert button["confirm"]["title"]["text"] == f"Revert import {job.id}?"
    assert "you review it before main changes" in button["confirm"]["text"]["text"]
    database = _database(world)
    main_before = database.branch(name="main").head

    world.click(merged, ids.REVERT, user="U_EVE")  # not a merger
    world.emulator.wait_for("chat.postEphemeral", lambda c: c.args.get("user") == "U_EVE")
    (refusal,) = world.ephemerals_to("U_EVE")
    assert "not allowed to revert imports" in refusal and "<!subteam^S_MERGERS>" in refusal
    assert _job(world, thread).reverted_by is None

    world.click(merged, ids.REVERT, user="U_GRACE")
    said = world.wait_text(thread, f"people: revert of import {job.id}")
    assert "merging deletes the 39 rows it added" in json.dumps(said.blocks)
    assert has_action(said.blocks, ids.MERGE) and has_action(said.blocks, ids.DISCARD)
    revert = world.intake.store.get(_job(world, thread).reverted_by)
    assert revert.reverts == job.id and revert.status == Status.AWAITING_REVIEW
    assert database.branch(name="main").head == main_before  # reviewed first
    clicked = next(m for m in world.thread(thread) if m.ts == merged.ts)
    assert not has_action(clicked.blocks, ids.REVERT)  # one click starts one revert

    world.click(said, ids.MERGE, user="U_GRACE")
    world.wait_text(thread, f"This undid the merge of import {job.id}")
    wait_for_status(world.intake.store, revert.id, Status.MERGED)
    assert "people" not in database.list_tables()
    assert _job(world, thread).id == job.id  # the thread still belongs to the import
    calls = [
        {"method": c.method, "args": c.args, "at": c.at, "rate_limited": c.rate_limited}
        for c in world.emulator.calls()
    ]
    (tmp_path / "calls.json").write_text(json.dumps(calls, default=str))  # for slack-preview
