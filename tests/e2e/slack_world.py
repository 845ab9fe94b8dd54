"""A whole Slack deployment on this machine: the Web API emulator, the bot's HTTP app (in a
thread of the test process), real worker processes and the real Redis. Tests act as people:
they post signed events and clicks, and read what the bot posted in the emulator."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from bot.entrypoints.slack import build_intake
from bot.slack.app import build_app, http_server, socket_mode_handler
from tests.fakes import slack_requests as slack
from tests.fakes.slack_api import SlackApiEmulator
from tests.workers.conftest import worker_env

SECRET = "signing-secret-for-tests-8c1f"
TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0001-test"
CHANNEL = "C0FAMILY"
PEOPLE = {
    "U_ADA": {"real_name": "Ada Lovelace", "email": "ada@example.com"},
    "U_GRACE": {"real_name": "Grace Hopper", "email": "grace@example.com"},
    "U_EVE": {"real_name": "Eve Mallory", "email": "eve@example.com"},
}
GROUPS = {"S_MERGERS": ["U_GRACE"]}
_ts = itertools.count(1)


class SlackWorld:
    def __init__(self, place, workers, *, socket_url: str | None = None, **env: str) -> None:
        self.place = place
        self.workers = workers
        self.emulator = SlackApiEmulator(
            bot_token=TOKEN,
            users=PEOPLE,
            usergroups=GROUPS,
            app_token=APP_TOKEN,
            socket_url=socket_url,
        ).start()
        self.env = worker_env(
            place,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_URL=self.emulator.base_url,
            IMPORTBOT_MERGERS="S_MERGERS",
            **env,
        )
        intake, secret = build_intake(self.env, socket=socket_url is not None)
        self.intake = intake
        self.app = build_app(intake, signing_secret=secret)
        self.server = http_server(self.app, host="127.0.0.1", port=0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        self.socket_mode = None
        if socket_url is not None:
            self.socket_mode = socket_mode_handler(self.app, app_token=APP_TOKEN)
            self.socket_mode.connect()

    def start_worker(self, *args: str, **env: str):
        extra = {k: v for k, v in self.env.items() if k.startswith(("SLACK_", "IMPORTBOT_M"))}
        return self.workers.start(*args, **extra, **env)

    def close(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.close()
        self.server.shutdown()
        self.emulator.close()

    # -- people act --------------------------------------------------------------------------
    def post_event(self, event: dict, *, event_id: str | None = None, **kwargs) -> int:
        body = slack.json_body(slack.event_callback(event, event_id=event_id or f"Ev{next(_ts)}"))
        status, _, _ = slack.post_signed(
            self.url, body, secret=SECRET, content_type=slack.JSON, **kwargs
        )
        return status

    def mention(self, text: str, *, user: str = "U_ADA", files=None, **kwargs) -> str:
        ts = f"1700000{next(_ts):03d}.000100"
        event = slack.app_mention(
            user=user, channel=CHANNEL, text=f"<@UBOT> {text}", ts=ts, files=files
        )
        assert self.post_event(event, **kwargs) == 200
        return ts

    def reply(self, thread_ts: str, text: str, *, user: str = "U_ADA") -> None:
        ts = f"1700001{next(_ts):03d}.000100"
        event = slack.message_event(
            user=user, channel=CHANNEL, text=text, ts=ts, thread_ts=thread_ts
        )
        assert self.post_event(event) == 200

    def open_home(self, user: str, *, timeout: float = 30.0) -> list[dict]:
        """`user` opens the App Home: the blocks of the newest Home published to them after it
        (the Home is also republished as jobs move)."""

        def published() -> list:
            return [c for c in self.emulator.calls("views.publish") if c.args["user_id"] == user]

        before = len(published())
        assert self.post_event(slack.app_home_opened(user=user)) == 200
        deadline = time.monotonic() + timeout
        while len(published()) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        return published()[-1].args["view"]["blocks"]

    def click_on_home(self, user: str, blocks: list[dict], action_id: str, value: str) -> int:
        """`user` clicks a button of their App Home (`blocks`, as published)."""
        payload = slack.block_actions(
            user=user, channel="unused", message_ts="0", action_id=action_id, value=value
        )
        for key in ("message", "channel"):
            payload.pop(key)
        payload["container"] = {"type": "view", "view_id": "V1"}
        payload["view"] = {"type": "home", "id": "V1", "blocks": blocks}
        status, _, _ = slack.post_signed(
            self.url, slack.interactive_body(payload), secret=SECRET, content_type=slack.FORM
        )
        return status

    def click(
        self,
        message,
        action_id: str,
        *,
        user: str = "U_ADA",
        state: dict | None = None,
        channel: str = CHANNEL,
    ) -> int:
        value = button_value(message.blocks, action_id)
        payload = slack.block_actions(
            user=user,
            channel=channel,
            message_ts=message.ts,
            action_id=action_id,
            value=value,
            message_blocks=message.blocks,
            thread_ts=message.thread_ts,
        )
        if state is not None:
            payload["state"] = {"values": state}
        status, _, _ = slack.post_signed(
            self.url, slack.interactive_body(payload), secret=SECRET, content_type=slack.FORM
        )
        return status

    # -- what the bot said -------------------------------------------------------------------
    def wait_message(
        self, thread_ts: str, action_id: str, *, timeout: float = 90.0, after: int = 0
    ):
        """The newest message in the thread posted with a button `action_id`, once more than
        `after` such were posted and the newest still has it (older versions fold away: their
        buttons go when a newer version is posted, see `posted_blocks`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posted = [m for m in self.thread(thread_ts) if has_action(m.posted_blocks, action_id)]
            if len(posted) > after and has_action(posted[-1].blocks, action_id):
                return posted[-1]
            time.sleep(0.1)
        said = "\n".join(m.text[:200] for m in self.thread(thread_ts))
        jobs = [(j.id, j.status.value, j.pending, j.error) for j in self.intake.store.jobs()]
        raise AssertionError(
            f"no message with {action_id} in the thread; jobs {jobs}; it holds:\n{said}\n"
            f"{self.workers.logs()[-3000:]}"
        )

    def wait_text(self, thread_ts: str, words: str, *, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.thread(thread_ts):
                if words in message.text or words in str(message.blocks):
                    return message
            time.sleep(0.1)
        said = "\n".join(m.text[:200] for m in self.thread(thread_ts))
        raise AssertionError(
            f"{words!r} not said in the thread:\n{said}\n{self.workers.logs()[-3000:]}"
        )

    def thread(self, thread_ts: str):
        return [m for m in self.emulator.messages(CHANNEL) if m.thread_ts == thread_ts]

    def ephemerals_to(self, user: str) -> list[str]:
        return [e.get("text", "") for e in self.emulator.ephemerals() if e.get("user") == user]


def _elements(blocks: list[dict]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        found += block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            found.append(block["accessory"])
    return found


def has_action(blocks: list[dict], action_id: str) -> bool:
    return any(e.get("action_id") == action_id for e in _elements(blocks))


def button_value(blocks: list[dict], action_id: str) -> str:
    for element in _elements(blocks):
        if element.get("action_id") == action_id:
            return element.get("value", "")
    raise AssertionError(f"no {action_id} in the message")
