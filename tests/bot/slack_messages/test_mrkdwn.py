from bot.slack.messages.mrkdwn import (
    code_block,
    escape,
    inline_code,
    join_limited,
    safe_filename,
    truncate,
)


def test_escape_follows_slacks_rules():
    assert escape("a & <!channel> > b") == "a &amp; &lt;!channel&gt; &gt; b"


def test_code_block_cannot_be_closed_by_the_data():
    block = code_block("x ```\n<!here> `````")
    body = block.removeprefix("```\n").removesuffix("\n```")
    assert "``" not in body
    assert "<" not in body and "&lt;!here&gt;" in body


def test_code_block_is_cut_to_its_limit_with_a_note():
    block = code_block("&" * 5000, limit=1000)
    assert len(block) <= 1000
    assert block.endswith("(cut here)\n```")
    assert "&am\n" not in block  # never cut inside an entity


def test_truncate_never_splits_an_entity():
    text = escape("a<b" * 10)
    for limit in range(5, 30):
        cut = truncate(text, limit)
        assert len(cut) <= limit
        assert not cut.removesuffix("…").endswith(("&", "&l", "&lt"))


def test_inline_code_turns_backticks_and_newlines_harmless():
    assert inline_code("a`b\nc") == "`aˋb c`"
    assert inline_code("") == "` `"


def test_join_limited_says_how_many_were_left_out():
    joined = join_limited([f"item{i}" for i in range(1000)], 100)
    assert len(joined) <= 100
    assert joined.endswith("more")


def test_safe_filename():
    assert safe_filename("ddl", "../a b/c", "sql") == "ddl-.._a_b_c.sql"
