from bot.slack.messages import blocks as b
from bot.slack.messages.actions import ButtonRef
from bot.slack.messages.limits import MAX_BLOCKS, fit, text_length, violations


def test_fit_keeps_the_buttons_and_says_what_it_left_out():
    ref = ButtonRef("j", "plan", 1)
    blocks = [b.section(f"line {i}") for i in range(80)]
    blocks.append(b.actions("a", b.button("Go", "go", ref)))
    fitted = fit(blocks)
    assert len(fitted) == MAX_BLOCKS
    assert fitted[-1]["type"] == "actions"
    assert "32 more block(s) left out" in fitted[-2]["elements"][0]["text"]


def test_fit_respects_the_character_budget():
    blocks = [b.section("x" * 2900) for _ in range(10)]
    fitted = fit(blocks)
    assert text_length(fitted) <= 11_000
    assert violations(fitted) == []


def test_violations_names_what_is_wrong():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}] * 51
    found = violations(blocks)
    assert any("51 blocks" in v for v in found)
    assert any("3001" in v for v in found)
