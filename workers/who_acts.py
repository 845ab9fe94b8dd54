"""Who can act on a job, named so that Slack notifies them: `<@U1>` for a person,
`<!subteam^S1>` for a user group (Slack mrkdwn; the terminal shows the ids as they are)."""

from __future__ import annotations

from collections.abc import Iterable

from workers.job import Job
from workers.states import Status


def mention(slack_id: str) -> str:
    """`<!subteam^S1>` for a user-group id, `<@U1>` for a user id."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def named(ids: Iterable[str], *, joined_by: str = "or") -> str:
    """ "<@U1>", "<@U1> or <!subteam^S1>", "<@U1>, <@U2> or <!subteam^S1>" (people first, each
    once, in a stable order)."""
    unique = sorted(set(ids), key=lambda i: (i.startswith("S"), i))
    mentions = [mention(i) for i in unique]
    if len(mentions) <= 1:
        return "".join(mentions)
    return ", ".join(mentions[:-1]) + f" {joined_by} " + mentions[-1]


def approvers(job: Job, importers: Iterable[str] = ()) -> list[str]:
    """Who may approve a job's stages: its requester, then the importers."""
    return [job.requester.id, *sorted(set(importers) - {job.requester.id})]


def deciders(
    job: Job, *, mergers: Iterable[str] | None, importers: Iterable[str] = ()
) -> list[str]:
    """Who must act on a job waiting for a person: the mergers for a review (whoever may
    approve when no mergers are configured), else the requester (the importers may too, but
    the requester is the one asked)."""
    if job.status == Status.AWAITING_REVIEW:
        return sorted(mergers) if mergers else approvers(job, importers)
    return [job.requester.id]
