"""When a listener raises after Slack was answered: the person is told, never left in silence.

Bolt calls the app's error handler with the request that failed. The person who acted gets a
short message in plain words where they acted — the slash command's `response_url`, an
ephemeral in the channel (in the thread they clicked in), or a direct message for App Home and
modals — carrying a reference that is also in the log next to the traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and I could not finish that; it may not have "
    "taken effect. Try again in a moment; if it keeps happening, tell whoever runs importbot "
    "(reference `{reference}`)."
)


def tell_about_failure(
    error: Exception,
    body: dict[str, Any],
    *,
    client: WebClient,
    respond: Callable[..., Any] | None,
) -> None:
    """Log `error` with a reference and tell the person who acted; never raises."""
    reference = secrets.token_hex(4)
    log.error("a %s handler failed (reference %s)", _kind(body), reference, exc_info=error)
    text = SORRY.format(reference=reference)
    try:
        _tell(body, text, client=client, respond=respond)
    except Exception:  # telling failed too: the log is all there is
        log.exception("could not tell the person about failure %s", reference)


@contextmanager
def telling_on_failure(
    body: dict[str, Any], *, client: WebClient, respond: Callable[..., Any] | None = None
) -> Iterator[None]:
    """Run a listener's work after its ack: an exception is told (`tell_about_failure`)."""
    try:
        yield
    except Exception as error:
        tell_about_failure(error, body, client=client, respond=respond)


def _kind(body: dict[str, Any]) -> str:
    if body.get("command"):
        return str(body["command"])
    return str((body.get("event") or {}).get("type") or body.get("type") or "Slack")


def _tell(
    body: dict[str, Any],
    text: str,
    *,
    client: WebClient,
    respond: Callable[..., Any] | None,
) -> None:
    if body.get("command"):  # a slash command: its response_url works in any channel
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        return
    event = body.get("event") or {}
    user = event.get("user") or (body.get("user") or {}).get("id") or body.get("user_id")
    if not user:
        return
    channel = event.get("channel") or (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    thread = event.get("thread_ts") or event.get("ts") or message.get("thread_ts")
    if channel and event.get("type") != "app_home_opened":
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread)
    else:  # App Home, a modal: the person's direct messages with the bot
        client.chat_postMessage(channel=user, text=text)
