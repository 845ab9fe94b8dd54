"""`importbot serve` wires its `/healthz` to the bot's checks: a real bot process against the
local Slack Web API emulator and the real Redis answers 200 while its database answers and 503
naming the database when its sql-server is a port nothing listens on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from tests.fakes.redis_dbs import STORES_REDIS_URL
from tests.fakes.slack_api import SlackApiEmulator
from tests.workers.test_health import free_port

TOKEN = "xoxb-healthz-token"
SECRET = "healthz-signing-secret-8c2f"
IMPORTBOT = [sys.executable, "-c", "from bot.entrypoints.cli import main; main()"]


@contextmanager
def serving(tmp_path, dolt_url: str):
    with SlackApiEmulator(bot_token=TOKEN) as emulator:
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("IMPORTBOT_", "OPENAI_"))},
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emulator.base_url,
            "IMPORTBOT_REDIS_URL": STORES_REDIS_URL,
            "IMPORTBOT_DOLT_URL": dolt_url,
            "IMPORTBOT_LLM": "off",
        }
        log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [*IMPORTBOT, "serve", "--port", str(port), "--host", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield f"http://127.0.0.1:{port}/healthz", server
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()


def first_answer(url: str, server, log) -> tuple[int, dict]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the bot did not answer: {log.read_text()}")


def test_serve_answers_200_while_redis_and_the_database_answer(tmp_path):
    with serving(tmp_path, f"doltlite:{tmp_path / 'dbs'}") as (url, server):
        status, body = first_answer(url, server, tmp_path / "serve.log")
    assert status == 200 and body["ok"] is True
    assert body["checks"] == {"redis": "ok", "database": "ok"}


def test_serve_answers_503_naming_a_database_that_is_down(tmp_path):
    with serving(tmp_path, f"mysql://root@127.0.0.1:{free_port()}") as (url, server):
        status, body = first_answer(url, server, tmp_path / "serve.log")
    assert status == 503 and body["down"] == ["database"]
    assert "does not answer" in (tmp_path / "serve.log").read_text()  # the why is in the log
