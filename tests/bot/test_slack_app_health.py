"""`GET /healthz` of the bot's HTTP server, over real HTTP: 200 when Redis and the database
answer, 503 with a JSON body naming what is down (names and states only: the details stay in
the log), and a plain "ok" when the server was given no checks."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager

from slack_bolt import App

from bot.entrypoints.health import bot_health
from bot.entrypoints.settings import Settings
from bot.slack.app import http_server
from tests.fakes.redis_dbs import STORES_REDIS_URL
from tests.workers.test_health import free_port


@contextmanager
def serving(health):
    app = App(signing_secret="s3cret", token="xoxb-test", token_verification_enabled=False)
    server = http_server(app, host="127.0.0.1", port=0, health=health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/healthz"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _settings(**environ: str) -> Settings:
    return Settings.from_environment(environ)


def test_healthz_is_200_when_redis_and_the_database_answer(tmp_path):
    health = bot_health(
        _settings(IMPORTBOT_REDIS_URL=STORES_REDIS_URL, IMPORTBOT_DOLT_URL=f"doltlite:{tmp_path}")
    )
    with serving(health) as url:
        status, body = get(url)
    assert status == 200
    assert json.loads(body) == {
        "ok": True,
        "down": [],
        "checks": {"redis": "ok", "database": "ok"},
    }


def test_healthz_is_503_naming_redis_when_it_is_down(tmp_path):
    port = free_port()
    health = bot_health(
        _settings(
            IMPORTBOT_REDIS_URL=f"redis://:pw@127.0.0.1:{port}/0",
            IMPORTBOT_DOLT_URL=f"doltlite:{tmp_path}",
        )
    )
    with serving(health) as url:
        status, body = get(url)
    assert status == 503
    assert json.loads(body) == {
        "ok": False,
        "down": ["redis"],
        "checks": {"redis": "down", "database": "ok"},
    }
    assert str(port) not in body and "pw" not in body


def test_healthz_is_503_naming_the_database_when_it_is_down():
    health = bot_health(
        _settings(
            IMPORTBOT_REDIS_URL=STORES_REDIS_URL,
            IMPORTBOT_DOLT_URL=f"mysql://root@127.0.0.1:{free_port()}",
        )
    )
    with serving(health) as url:
        status, body = get(url)
    assert status == 503 and json.loads(body)["down"] == ["database"]


def test_healthz_without_checks_says_the_process_answers():
    with serving(None) as url:
        assert get(url) == (200, "ok")
