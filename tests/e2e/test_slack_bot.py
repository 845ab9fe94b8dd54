"""The Slack bot end to end: signed requests to its HTTP app, a real worker, the real Redis,
and a Slack Web API emulator standing in for slack.com."""

from __future__ import annotations

import json

import pytest

from bot.slack_messages import actions as ids
from bot.slack_messages.actions import QuestionRef
from dolt import open_server
from tests.e2e.slack_world import CHANNEL, SlackWorld
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


def _scripted_answers(world):
    """What a model answers for REQUEST in plain words, with one follow-up question."""
    from agents import pipeline
    from agents.artifacts import ImportRequest
    from agents.sources import SourcePolicy
    from agents.stages.ask import FollowUpQuestions, Question
    from agents.stages.schema import SchemaRevision

    understood = ImportRequest(
        sources=["families/people.csv"],
        database="families",
        table="people",
        where="age >= 21",
        summary="Import the people aged 21 or older into families.people.",
    )
    with open_server(f"doltlite:{world.place / 'scratch'}") as server:
        database = server.database(name="families", create=True)
        inspection, staging = pipeline.inspect(
            understood,
            database=database,
            policy=SourcePolicy(roots=(world.place / "data",)),
            workdir=world.place / "scratch",
        )
        plan = pipeline.plan(
            understood,
            inspection,
            pipeline.baseline_schema(understood, inspection),
            staging=staging,
            database=database,
        )
        staging.close()
    question = Question(
        id="people_key",
        text="Which column identifies a person?",
        choices=["id", "name"],
        default="id",
        why="It becomes the primary key.",
    )
    return [understood, FollowUpQuestions(questions=[question]), SchemaRevision(), plan]


def test_a_mention_goes_through_every_stage_to_a_merge_by_an_allowed_user(world):
    from tests.fakes.openai_server import ScriptedOpenAI

    with ScriptedOpenAI(_scripted_answers(world)) as model:
        world.start_worker(
            IMPORTBOT_LLM="openai",
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=model.base_url,
            IMPORTBOT_MODELS="scripted",
        )
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
                ids.ANSWER_QUESTION: {"type": "static_select", "selected_option": {"value": "0"}}
            }
        }
        world.click(questions, ids.SUBMIT_ANSWERS, state=state)

        schema = world.wait_message(thread, ids.APPROVE_SCHEMA)
        assert "CREATE TABLE" in json.dumps(schema.blocks)
        world.click(schema, ids.APPROVE_SCHEMA)
        plan = world.wait_message(thread, ids.RUN_PLAN)
        world.click(plan, ids.RUN_PLAN)
        review = world.wait_message(thread, ids.MERGE)
        model.assert_exhausted()

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

    world.click(review, ids.MERGE, user="U_GRACE")  # in the S_MERGERS group
    world.wait_text(thread, "merged")
    job = _job(world, thread)
    assert job.status == Status.MERGED
    assert database.count_rows(table="people") == 39
    assert database.branch(name="main").author.startswith("Grace Hopper")
    assert [e.actor for e in job.audit if e.status_to == Status.MERGED] == ["U_GRACE"]
