"""Attachments fetched by the inspect step from the Slack emulator, steps run inline with the job in
the real Redis: when one of them is refused, the job fails saying which, and nothing any of them
left is on disk."""

from __future__ import annotations

import dataclasses

import pytest

from agents.errors import SourceError
from bot.slack.files import AttachmentRefused, download_attachment, origin
from tests.fakes.slack_api import SlackApiEmulator
from tests.workers.test_decisions import ADA, _decide, ctx
from workers.job import Attachment, Place
from workers.states import Status
from workers.submit import submit_job

__all__ = ["ctx"]  # the fixture: the real Redis, doltlite files, steps run inline


@pytest.fixture
def slack():
    with SlackApiEmulator() as emulator:
        yield emulator


def _fetching(ctx, slack, *, max_bytes: int):
    """The context with the worker's download: the bot token, the emulator's host and port."""

    def fetch(attachment: Attachment, folder):
        assert attachment.url is not None
        return download_attachment(
            attachment.url,
            attachment.name,
            folder=folder,
            token=slack.bot_token,
            hosts=frozenset({origin(slack.root_url) or ""}),
            max_bytes=max_bytes,
        )

    return dataclasses.replace(ctx, fetch_attachment=fetch)


def _submitted(ctx, files):
    """A request with `files` attached, understood and waiting for its confirmation."""
    job, _ = submit_job(
        store=ctx.store,
        scheduler=ctx.scheduler,
        text="import these into database shop",
        requester=ADA,
        place=Place(kind="recording", channel="C1", thread_ts="1.1"),
        attachments=[Attachment(name=f["name"], url=f["url_private_download"]) for f in files],
    )
    ctx.scheduler.run_pending(ctx)
    return job


def test_an_oversized_attachment_fails_the_job_and_leaves_no_attachment_on_disk(ctx, slack):
    ctx = _fetching(ctx, slack, max_bytes=1000)
    small = slack.add_file("small.csv", b"id\n1\n2\n")
    big = slack.add_file("big.csv", b"id\n" + b"7\n" * 2000)
    job = _submitted(ctx, [small, big])
    with pytest.raises(AttachmentRefused, match=r"big\.csv is larger than"):
        _decide(ctx, ctx.store.get(job.id), "understanding", "approve")
    job = ctx.store.get(job.id)
    assert job.status == Status.FAILED and job.error == (
        "The attachment big.csv is larger than 1,000 bytes."
    )
    left = sorted(p.name for p in (ctx.jobs_dir / job.id).rglob("*") if p.is_file())
    assert not [name for name in left if "small" in name or "big" in name], left
    assert [a.path for a in job.attachments] == [None, None]  # fetched again on a retry


def test_two_attachments_that_would_share_a_file_fail_the_job_instead_of_losing_one(ctx, slack):
    """Surfaces tell repeated names apart (bot.slack.intake); one that did not is caught."""
    ctx = _fetching(ctx, slack, max_bytes=1000)
    files = [slack.add_file("people.csv", b"id\n1\n"), slack.add_file("people.csv", b"id\n2\n")]
    job = _submitted(ctx, files)
    with pytest.raises(SourceError, match=r"Two attachments were both saved as people\.csv"):
        _decide(ctx, ctx.store.get(job.id), "understanding", "approve")
    job = ctx.store.get(job.id)
    assert job.status == Status.FAILED and "attach them under different names" in (job.error or "")
    assert not list((ctx.jobs_dir / job.id).rglob("people*.csv"))
