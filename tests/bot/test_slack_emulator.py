"""The Slack Web API emulator and the request helpers, driven by the real slack_sdk client."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import SlackApiEmulator
from tests.fakes.slack_requests import (
    app_mention,
    block_actions,
    event_callback,
    interactive_body,
    json_body,
    post_signed,
    sign,
    slash_command,
)

USERS = {
    "U1": {"real_name": "Ada Lovelace", "email": "ada@example.com"},
    "U2": {"real_name": "Grace Hopper", "email": "grace@example.com", "name": "grace"},
}


@pytest.fixture
def slack() -> Iterator[SlackApiEmulator]:
    with SlackApiEmulator(users=USERS, usergroups={"S1": ["U1", "U2"]}) as emulator:
        yield emulator


@pytest.fixture
def client(slack: SlackApiEmulator) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.base_url)


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_auth_test(slack: SlackApiEmulator, client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["user_id"], answer["team_id"], answer["bot_id"]) == ("UBOT", "T0001", "B0001")
    call = slack.calls("auth.test")[0]
    assert call.headers["authorization"] == "Bearer xoxb-test-token"
    assert not call.rate_limited


def test_post_message_then_update_changes_the_stored_message(
    slack: SlackApiEmulator, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "working…"}}]
    first = client.chat_postMessage(channel="C1", thread_ts="1.000100", text="a", blocks=blocks)
    second = client.chat_postMessage(channel="C1", thread_ts="1.000100", text="b")
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks and first["message"]["thread_ts"] == "1.000100"

    client.chat_update(channel="C1", ts=first["ts"], text="done")

    [updated, untouched] = slack.messages("C1")
    assert (updated.ts, updated.text, updated.blocks) == (first["ts"], "done", blocks)
    assert (untouched.text, untouched.thread_ts) == ("b", "1.000100")
    assert slack.messages("C2") == []


def test_update_of_an_unknown_message_and_missing_channel_fail(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts="1.000000", text="x")
    assert raised.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="", text="x")


def test_users_and_usergroups(client: WebClient) -> None:
    ada = client.users_info(user="U1")["user"]
    assert ada["real_name"] == "Ada Lovelace" and ada["profile"]["email"] == "ada@example.com"
    assert (ada["name"], client.users_info(user="U2")["user"]["name"]) == ("ada", "grace")
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U404")
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S404")


def test_a_bad_token_gets_invalid_auth_and_unknown_methods_are_recorded(
    slack: SlackApiEmulator, client: WebClient
) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("conversations.replies", params={"channel": "C1", "ts": "1.0"})
    assert slack.calls("conversations.replies")[0].args == {"channel": "C1", "ts": "1.0"}


def test_views_and_ephemerals(slack: SlackApiEmulator, client: WebClient) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Import"}, "blocks": []}
    assert client.views_open(trigger_id="T.1", view=modal)["view"]["id"].startswith("V")
    client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert slack.opened_views() == [{"trigger_id": "T.1", "view": modal}]
    assert slack.published_views()[0]["user_id"] == "U1"
    assert slack.ephemerals()[0]["text"] == "only you"
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id="", view=modal)


def test_files_upload_v2_shares_the_content_in_the_thread(
    slack: SlackApiEmulator, client: WebClient
) -> None:
    answer = client.files_upload_v2(
        channel="C1", thread_ts="1.000100", content="a,b\n1,2", filename="x.csv", title="X"
    )
    [shared] = slack.uploaded_files()
    assert (shared.title, shared.filename, shared.content) == ("X", "x.csv", b"a,b\n1,2")
    assert (shared.channel, shared.thread_ts) == ("C1", "1.000100")
    assert answer["file"]["id"] == shared.file_id


def test_the_upload_url_takes_multipart_bodies(slack: SlackApiEmulator, client: WebClient) -> None:
    answer = client.files_getUploadURLExternal(filename="y.csv", length=3)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="y.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nx\n1\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(answer["upload_url"], data=body, headers=headers)
    assert urllib.request.urlopen(request).status == 200
    client.files_completeUploadExternal(files=[{"id": answer["file_id"]}], channel_id="C2")
    assert slack.uploaded_files()[0].content == b"x\n1"


def test_attached_files_download_only_with_the_bot_token(slack: SlackApiEmulator) -> None:
    attached = slack.add_file("people.csv", b"id,name\n1,Ada\n")
    assert attached["url_private"].startswith(f"{slack.root_url}/files-pri/T0001-")
    assert (attached["filetype"], attached["size"]) == ("csv", 14)
    bearer = {"Authorization": f"Bearer {slack.bot_token}"}
    for url in (attached["url_private"], attached["url_private_download"]):
        assert get(url, bearer) == (200, b"id,name\n1,Ada\n")
        assert get(url, {})[0] == 401
        assert get(url, {"Authorization": "Bearer xoxb-other"})[0] == 401


def test_rate_limit_is_honoured_by_the_retry_handler(
    slack: SlackApiEmulator, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="0%")["ts"]
    patient = WebClient(
        token=slack.bot_token,
        base_url=slack.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit("chat.update", 1, retry_after=1)
    started = time.monotonic()
    patient.chat_update(channel="C1", ts=ts, text="50%")
    assert time.monotonic() - started >= 1
    assert [c.rate_limited for c in slack.calls("chat.update")] == [True, False]
    assert slack.messages("C1")[0].text == "50%"

    slack.rate_limit("chat.update", 1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts=ts, text="100%")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"


def test_sign_verifies_with_slack_sdk() -> None:
    mention = app_mention(user="U1", channel="C1", text="<@UBOT> hi", ts="1.000100")
    body = json_body(event_callback(mention, event_id="Ev1"))
    headers = sign(body, secret="s3cret", timestamp=int(time.time()))
    verifier = SignatureVerifier("s3cret")
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert verifier.is_valid(body, timestamp, signature)
    assert not SignatureVerifier("other").is_valid(body, timestamp, signature)
    stale = sign(body, secret="s3cret", timestamp=int(time.time()) - 600)
    stale_timestamp = stale["X-Slack-Request-Timestamp"]
    assert not verifier.is_valid(body, stale_timestamp, stale["X-Slack-Signature"])


def test_post_signed_sends_what_slack_sends(slack: SlackApiEmulator) -> None:
    payload = block_actions(user="U1", channel="C1", message_ts="1.0", action_id="go", value="j1")
    assert payload["actions"][0]["value"] == "j1" and payload["container"]["message_ts"] == "1.0"
    body = interactive_body(payload)
    status, answer, seconds = post_signed(
        f"{slack.base_url}chat.postMessage", body, secret="s", content_type="x", retry_num=1
    )  # the emulator is no bot endpoint, but it records the headers it received
    assert (status, json.loads(answer)["error"], seconds < 3) == (200, "invalid_auth", True)
    headers = slack.calls("chat.postMessage")[0].headers
    assert headers["x-slack-retry-num"] == "1" and headers["x-slack-retry-reason"]
    assert SignatureVerifier("s").is_valid(
        body, headers["x-slack-request-timestamp"], headers["x-slack-signature"]
    )
    assert slash_command(user="U1", channel="C1", text="people.csv")["command"] == "/import"


def test_wait_for_returns_the_matching_call_or_says_what_it_saw(
    slack: SlackApiEmulator, client: WebClient
) -> None:
    later = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C9", text="late"))
    later.start()
    call = slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "C9", timeout=5)
    assert call.args["text"] == "late"
    with pytest.raises(AssertionError, match=r"chat\.update.*\n.*chat\.postMessage.*late"):
        slack.wait_for("chat.update", timeout=0.1)
    slack.reset()
    assert slack.calls() == [] and slack.messages() == []
