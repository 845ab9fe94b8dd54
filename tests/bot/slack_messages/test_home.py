from bot.slack.messages.actions import DISCARD, MERGE, ButtonRef
from bot.slack.messages.home import HomeJob, home_view
from tests.bot.slack_messages.blockkit import assert_valid_view, elements, mrkdwn_text
from tests.bot.slack_messages.factories import HOSTILE
from workers.states import Status


def job(name: str, status: str, version: int | None = None) -> HomeJob:
    return HomeJob(
        job_id=name,
        status=Status(status),
        summary=f"Import {name}",
        database="families",
        branch=f"import/{name}",
        channel="C0123",
        thread_ts="1700000000.000100",
        review_version=version,
    )


JOBS = [job("a", "awaiting_review", 3), job("b", "running"), job("c", "merged", 2)]


def test_mergers_get_merge_and_discard_only_on_jobs_awaiting_review():
    view = home_view(JOBS, viewer_can_merge=True)
    assert view["type"] == "home"
    assert_valid_view(view)
    buttons = elements(view["blocks"], "button")
    assert [x["action_id"] for x in buttons] == [MERGE, DISCARD]
    assert {ButtonRef.decode(x["value"]) for x in buttons} == {ButtonRef("a", "review", 3)}
    assert buttons[0]["style"] == "primary" and "confirm" in buttons[0]


def test_others_get_no_buttons():
    view = home_view(JOBS, viewer_can_merge=False)
    assert_valid_view(view)
    assert elements(view["blocks"], "button") == []
    assert "awaiting review" in mrkdwn_text(view["blocks"])


def test_a_job_awaiting_review_without_a_review_version_gets_no_buttons():
    view = home_view([job("a", "awaiting_review", None)], viewer_can_merge=True)
    assert elements(view["blocks"], "button") == []


def test_empty_home():
    view = home_view([], viewer_can_merge=True)
    assert_valid_view(view)
    assert "No imports yet" in mrkdwn_text(view["blocks"])


def test_many_jobs_stay_within_100_blocks():
    view = home_view(
        [job(f"j{i}", "awaiting_review", 1) for i in range(300)], viewer_can_merge=True
    )
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    assert "older import(s) not shown" in mrkdwn_text(view["blocks"])


def test_hostile_job_fields_are_escaped():
    bad = HomeJob(HOSTILE[:100], Status.RUNNING, HOSTILE, HOSTILE, HOSTILE, "<!channel>", "x", 1)
    view = home_view([bad], viewer_can_merge=False)
    assert_valid_view(view)
    assert "<!channel>" not in mrkdwn_text(view["blocks"])
    assert "<#C0123>" in mrkdwn_text(home_view(JOBS, viewer_can_merge=False)["blocks"])


def test_a_job_id_no_button_can_carry_gets_no_buttons_but_the_home_still_renders():
    view = home_view([job('bad"id', "awaiting_review", 1), JOBS[0]], viewer_can_merge=True)
    assert_valid_view(view)
    assert len(elements(view["blocks"], "button")) == 2
