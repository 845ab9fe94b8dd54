import json

import pytest

from bot.slack.messages.actions import ButtonRef, QuestionRef


def test_button_ref_round_trips_as_compact_json():
    ref = ButtonRef(job_id="20250101-abc123", stage="schema", version=3)
    value = ref.encode()
    assert value == '{"job":"20250101-abc123","stage":"schema","version":3}'
    assert ButtonRef.decode(value) == ref


@pytest.mark.parametrize("stage", ["understanding", "questions", "schema", "plan", "review"])
def test_every_stage_round_trips(stage):
    ref = ButtonRef(job_id="j" * 100, stage=stage, version=0)
    assert len(ref.encode()) < 2000
    assert ButtonRef.decode(ref.encode()) == ref


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "JSON string"),
        ("not json", "not JSON"),
        ("[1, 2]", "keys"),
        ('{"job":"j","stage":"schema"}', "keys"),
        ('{"job":"j","stage":"schema","version":1,"extra":1}', "keys"),
        ('{"job":"j","stage":"deploy","version":1}', "Unknown stage"),
        ('{"job":"j","stage":"plan","version":-1}', "version"),
        ('{"job":"j","stage":"plan","version":true}', "version"),
        ('{"job":"j","stage":"plan","version":"1"}', "version"),
        ('{"job":"","stage":"plan","version":1}', "job id"),
        ('{"job":7,"stage":"plan","version":1}', "job id"),
        ("x" * 2001, "longer than Slack allows"),
    ],
)
def test_decode_rejects_garbage_saying_why(value, says):
    with pytest.raises(ValueError, match=says):
        ButtonRef.decode(value)


def test_decode_refuses_non_strings():
    with pytest.raises(ValueError, match="JSON string"):
        ButtonRef.decode(None)  # type: ignore[arg-type]


def test_button_ref_refuses_bad_fields_when_built():
    with pytest.raises(ValueError, match="Unknown stage"):
        ButtonRef(job_id="j", stage="merge", version=1)
    with pytest.raises(ValueError, match="job id"):
        ButtonRef(job_id="j" * 101, stage="plan", version=1)
    with pytest.raises(ValueError, match="job id"):
        ButtonRef(job_id='a"b\n', stage="plan", version=1)


def test_question_ref_round_trips_and_fits_a_block_id():
    ref = ButtonRef(job_id="j" * 100, stage="questions", version=2)
    question = QuestionRef(ref=ref, index=1, question_id="k" * 400)
    block_id = question.encode()
    assert len(block_id) <= 255
    decoded = QuestionRef.decode(block_id)
    assert decoded.ref == ref and decoded.index == 1
    assert "k" * 50 in decoded.question_id


def test_question_ref_cuts_ids_that_json_escaping_makes_longer():
    ref = ButtonRef(job_id="j" * 100, stage="questions", version=2)
    block_id = QuestionRef(ref=ref, index=3, question_id='"\n\\é' * 200).encode()
    assert len(block_id) <= 255
    assert QuestionRef.decode(block_id).index == 3


def test_question_ref_is_not_a_button_ref():
    block_id = QuestionRef(ref=ButtonRef("j", "questions", 1), index=0, question_id="q").encode()
    with pytest.raises(ValueError):
        ButtonRef.decode(block_id)
    with pytest.raises(ValueError):
        QuestionRef.decode(ButtonRef("j", "questions", 1).encode())
    bad_index = json.dumps({"job": "j", "stage": "questions", "version": 1, "q": -1, "id": "q"})
    with pytest.raises(ValueError, match="q must be"):
        QuestionRef.decode(bad_index)
