from dataclasses import replace

from bot.slack.messages.actions import DISCARD, MERGE, NEW_IMPORT, ButtonRef
from bot.slack.messages.home import HomeJob, home_view, thread_link
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


def review_buttons(view: dict) -> list[dict]:
    """The buttons of the listed jobs (not the New import button)."""
    return [x for x in elements(view["blocks"], "button") if x["action_id"] != NEW_IMPORT]


JOBS = [job("a", "awaiting_review", 3), job("b", "running"), job("c", "merged", 2)]


def test_mergers_get_merge_and_discard_only_on_jobs_awaiting_review():
    view = home_view(JOBS, viewer_can_merge=True)
    assert view["type"] == "home"
    assert_valid_view(view)
    buttons = review_buttons(view)
    assert [x["action_id"] for x in buttons] == [MERGE, DISCARD]
    assert {ButtonRef.decode(x["value"]) for x in buttons} == {ButtonRef("a", "review", 3)}
    assert buttons[0]["style"] == "primary" and "confirm" in buttons[0]


def test_others_get_no_buttons():
    view = home_view(JOBS, viewer_can_merge=False)
    assert_valid_view(view)
    assert review_buttons(view) == []
    assert "awaiting review" in mrkdwn_text(view["blocks"])


def test_a_job_awaiting_review_without_a_review_version_gets_no_buttons():
    view = home_view([job("a", "awaiting_review", None)], viewer_can_merge=True)
    assert review_buttons(view) == []


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
    assert "import(s) not shown" in mrkdwn_text(view["blocks"])


def test_hostile_job_fields_are_escaped():
    bad = HomeJob(HOSTILE[:100], Status.RUNNING, HOSTILE, HOSTILE, HOSTILE, "<!channel>", "x", 1)
    view = home_view([bad], viewer_can_merge=False)
    assert_valid_view(view)
    assert "<!channel>" not in mrkdwn_text(view["blocks"])
    assert "<#C0123>" in mrkdwn_text(home_view(JOBS, viewer_can_merge=False)["blocks"])


def test_a_job_id_no_button_can_carry_gets_no_buttons_but_the_home_still_renders():
    view = home_view([job('bad"id', "awaiting_review", 1), JOBS[0]], viewer_can_merge=True)
    assert_valid_view(view)
    assert len(review_buttons(view)) == 2


# -- the dashboard (issue 15, point 2) -------------------------------------------------------
def waiting(name: str, status: str, what: str, version: int | None = None) -> HomeJob:
    return replace(job(name, status, version), awaits_viewer=what)


def finished(name: str, status: str = "merged") -> HomeJob:
    return job(name, status)


def test_the_dashboard_has_waiting_for_you_with_counts_running_and_recent_with_links():
    view = home_view(
        [
            waiting("r1", "awaiting_review", "merge or discard it", 1),
            waiting("r2", "awaiting_review", "merge or discard it", 2),
            waiting("p1", "awaiting_plan_approval", "approve the import plan"),
            job("run", "running"),
            finished("m1"),
            finished("d1", "discarded"),
            finished("f1", "failed"),
        ],
        viewer_can_merge=True,
    )
    assert_valid_view(view)
    text = mrkdwn_text(view["blocks"])
    assert "*Waiting for you* (3) · 2 reviews to merge or discard · 1 stage to approve" in text
    assert "waiting for you to approve the import plan" in text
    assert "*Running* (1)" in text and "*Recent* (the last 3)" in text
    assert text.index("`p1`") < text.index("*Running*") < text.index("`run`")
    assert text.index("*Recent*") < text.index("`m1`") < text.index("`f1`")
    link = "<https://slack.com/app_redirect?channel=C0123&message_ts=1700000000.000100|open"
    assert text.count(link) == 7
    assert {ButtonRef.decode(x["value"]).job_id for x in review_buttons(view)} == {"r1", "r2"}
    new_import = [x for x in elements(view["blocks"], "button") if x["action_id"] == NEW_IMPORT]
    assert len(new_import) == 1 and "No imports yet" not in text


def test_recent_lists_the_last_20_finished_and_says_how_many_more():
    view = home_view([finished(f"m{i}") for i in range(30)], viewer_can_merge=False)
    text = mrkdwn_text(view["blocks"])
    assert "*Recent* (the last 20)" in text and "`m19`" in text and "`m20`" not in text
    assert "… and 10 older import(s) not shown" in text
    assert "No imports yet" not in text  # only finished imports: still not "none"
    assert "*Waiting for you*: nothing" in text and "*Running*: none" in text


def test_no_imports_yet_only_when_there_are_none():
    assert "No imports yet" in mrkdwn_text(home_view([], viewer_can_merge=False)["blocks"])
    for one in (
        job("a", "running"),
        finished("b", "failed"),
        waiting("c", "awaiting_answers", "x"),
    ):
        assert "No imports yet" not in mrkdwn_text(
            home_view([one], viewer_can_merge=False)["blocks"]
        )


def test_300_jobs_of_every_kind_stay_within_100_blocks_and_keep_every_section():
    jobs = [waiting(f"w{i}", "awaiting_review", "merge or discard it", 1) for i in range(100)]
    jobs += [job(f"r{i}", "running") for i in range(100)]
    jobs += [finished(f"m{i}") for i in range(100)]
    view = home_view(jobs, viewer_can_merge=True)
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    text = mrkdwn_text(view["blocks"])
    assert "*Waiting for you* (100)" in text and "*Running* (100)" in text
    assert "*Recent* (the last 20)" in text and "`m19`" in text
    assert "waiting import(s) not shown" in text and "… and 80 older import(s) not shown" in text


def test_hostile_text_in_every_section_is_escaped_and_no_link_is_made_of_it():
    bad = HomeJob(HOSTILE[:100], Status.FAILED, HOSTILE, HOSTILE, HOSTILE, "<!channel>", "x", 1)
    worse = replace(bad, status=Status.AWAITING_REVIEW, awaits_viewer="merge or discard it")
    view = home_view([worse, bad], viewer_can_merge=True)
    assert_valid_view(view)
    text = mrkdwn_text(view["blocks"])
    assert "<!channel>" not in text and "app_redirect" not in text
    assert thread_link("C0123", "1700000000.000100&x=<!here>") is None
    assert thread_link("<!channel>", "1700000000.000100") is None
