"""A direct message to each merger when a review is ready (IMPORTBOT_NOTIFY_MERGERS=dm): user
groups expanded to their members, a link to the review's thread (chat.getPermalink). The
requester is not messaged (the review is in their thread already). A message Slack refuses (the
`im:write` scope missing, a deactivated user) is logged, never raised: the review is posted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agents.artifacts import Review
from bot.slack.messages.nudges import render_review_waiting
from workers.job import Job

log = logging.getLogger(__name__)


def merger_people(mergers: Iterable[str], members_of: Callable[[str], frozenset[str]]) -> list[str]:
    """The user ids among `mergers`, each group's members in its place, each once."""
    people: set[str] = set()
    for slack_id in mergers:
        people |= members_of(slack_id) if slack_id.startswith("S") else {slack_id}
    return sorted(people)


def message_mergers(
    client: WebClient,
    job: Job,
    review: Review,
    *,
    review_ts: str,
    mergers: Iterable[str],
    members_of: Callable[[str], frozenset[str]],
) -> list[str]:
    """DM every merger but the requester about the review posted at `review_ts`; the ids
    messaged."""
    channel = job.place.channel
    link = _permalink(client, channel, review_ts) if channel else None
    message = render_review_waiting(
        review, requester_id=job.requester.id, link=link, channel=channel
    )
    sent = []
    for user in merger_people(mergers, members_of):
        if user == job.requester.id:
            continue
        try:
            im = client.conversations_open(users=user)["channel"]["id"]
            client.chat_postMessage(
                channel=im, text=message.text, blocks=message.blocks, unfurl_links=False
            )
        except SlackApiError as error:
            said = error.response.get("error")
            log.warning("no direct message to merger %s about job %s: %s", user, job.id, said)
            continue
        sent.append(user)
    return sent


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as error:
        log.warning(
            "no link to the review at %s in %s: %s", ts, channel, error.response.get("error")
        )
        return None
