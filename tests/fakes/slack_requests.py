"""Requests as Slack sends them to the bot: payload builders, encoders and real v0 signing.

Builders return the exact shapes Slack posts (Events API JSON, interactive `payload` JSON, slash
command form fields); encoders turn them into bodies; `post_signed` signs a body like Slack and
posts it to the bot's HTTP endpoint.

    mention = app_mention(user="U1", channel="C1", text="<@UBOT> import this", ts="1.000100",
                          files=[slack.add_file("people.csv", b"id\\n1\\n")])
    body = json_body(event_callback(mention, event_id="Ev1"))
    status, answer, seconds = post_signed(f"{bot_url}/slack/events", body, secret=SECRET,
                                          content_type="application/json")
    assert status == 200 and seconds < 3

    status, *_ = post_signed(url, interactive_body(block_actions(user="U1", channel="C1",
                             message_ts=ts, action_id="approve", value="job-1")), secret=SECRET,
                             content_type="application/x-www-form-urlencoded")

Pass `timestamp=int(time.time()) - 600` for a stale request, or another `secret` for a forged one.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from slack_sdk.signature import SignatureVerifier

TEAM = {"id": "T0001", "domain": "emulated-workspace"}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# -- signing and posting -------------------------------------------------------------------
def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` with the secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def post_signed(
    url: str,
    body: bytes,
    *,
    secret: str,
    content_type: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> tuple[int, bytes, float]:
    """POST a signed body; (HTTP status, response body, seconds taken). Errors are returned."""
    headers = sign(body, secret=secret, timestamp=timestamp) | {"Content-Type": content_type}
    if retry_num is not None:
        headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    return status, answer, time.perf_counter() - started


# -- encoders ------------------------------------------------------------------------------
def json_body(obj: object) -> bytes:
    return json.dumps(obj).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    """Interactivity requests are a form with one field, `payload`, holding JSON."""
    return form_body({"payload": json.dumps(payload)})


def form_body(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


# -- Events API ----------------------------------------------------------------------------
def event_callback(
    event: dict[str, Any],
    *,
    event_id: str,
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
) -> dict[str, Any]:
    """The JSON body wrapping one event."""
    event_time = int(float(event.get("event_ts") or time.time()))
    authorization = {"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id}
    authorization |= {"is_bot": True, "is_enterprise_install": False}
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [authorization],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }


def app_mention(
    *,
    user: str,
    channel: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return _message_like("app_mention", user, channel, text, ts, thread_ts, files)


def message_event(
    *,
    user: str,
    channel: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A user's message; with files it has subtype `file_share`, as Slack sends it."""
    event = _message_like("message", user, channel, text, ts, thread_ts, files)
    event["channel_type"] = channel_type
    if files:
        event["subtype"] = "file_share"
    return event


def app_home_opened(*, user: str, channel: str = "D0001") -> dict[str, Any]:
    event = {"type": "app_home_opened", "user": user, "channel": channel, "tab": "home"}
    return event | {"event_ts": f"{time.time():.6f}"}


def _message_like(
    kind: str,
    user: str,
    channel: str,
    text: str,
    ts: str,
    thread_ts: str | None,
    files: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM["id"],
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{ts}")),
        "blocks": [_rich_text(text)],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event |= {"files": files, "upload": False}
    return event


def _rich_text(text: str) -> dict[str, Any]:
    """Slack's rich_text rendering of a message: mentions become `user` elements."""
    elements = []
    for index, piece in enumerate(re.split(r"<@(\w+)>", text)):
        if index % 2:
            elements.append({"type": "user", "user_id": piece})
        elif piece:
            elements.append({"type": "text", "text": piece})
    section = {"type": "rich_text_section", "elements": elements}
    return {"type": "rich_text", "block_id": "rt", "elements": [section]}


# -- interactivity and slash commands ------------------------------------------------------
def _user(user: str) -> dict[str, Any]:
    name = user.lower()
    return {"id": user, "username": name, "name": name, "team_id": TEAM["id"]}


def block_actions(
    *,
    user: str,
    channel: str,
    message_ts: str,
    action_id: str,
    value: str,
    trigger_id: str = "T.1",
    block_id: str | None = None,
    selected_option: dict[str, Any] | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0001/1/emulated",
    message_blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """The `payload` of a click on a button (or a choice in a static select when
    `selected_option` is given) in a message the bot posted."""
    block_id = block_id or f"{action_id}-block"
    if selected_option is None:
        element = {"type": "button", "action_id": action_id, "value": value, "text": _plain(value)}
        action = dict(element)
    else:
        element = {"type": "static_select", "action_id": action_id, "options": [selected_option]}
        action = {"type": "static_select", "action_id": action_id}
        action["selected_option"] = selected_option
    action |= {"block_id": block_id, "action_ts": f"{time.time():.6f}"}
    blocks = message_blocks or [{"type": "actions", "block_id": block_id, "elements": [element]}]
    message = {"type": "message", "user": "UBOT", "bot_id": "B0001", "ts": message_ts}
    message |= {"text": "", "blocks": blocks, "team": TEAM["id"]}
    if thread_ts:
        message["thread_ts"] = thread_ts
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel}
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": "A0001",
        "token": "verification-token-unused",
        "container": container | {"is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel.lower()},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def view_submission(
    *, user: str, callback_id: str, private_metadata: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The `payload` of a modal submitted; `values` is Slack's `view.state.values`:
    {block_id: {action_id: {"type": "plain_text_input", "value": "..."}}}."""
    view = {"id": "V0001", "team_id": TEAM["id"], "type": "modal", "blocks": []}
    view |= {"private_metadata": private_metadata, "callback_id": callback_id}
    view |= {"state": {"values": values}, "hash": "1.emulated", "title": _plain("Import")}
    view |= {"previous_view_id": None, "root_view_id": "V0001", "app_id": "A0001"}
    view |= {"external_id": "", "bot_id": "B0001"}
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": _user(user),
        "api_app_id": "A0001",
        "token": "verification-token-unused",
        "trigger_id": "T.2",
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(
    *,
    user: str,
    channel: str,
    text: str,
    command: str = "/import",
    trigger_id: str = "T.3",
    response_url: str = "https://hooks.slack.com/commands/T0001/1/emulated",
) -> dict[str, str]:
    """The form fields of a slash command."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM["id"],
        "team_domain": TEAM["domain"],
        "channel_id": channel,
        "channel_name": channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}
