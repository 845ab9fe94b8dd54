"""Which checks a setup needs (`bot.entrypoints.health`): the embedded default passes with the
parts it does not use shown as "not used"; Redis, the workers, the model and the database fail
the report when the settings use them and they are down."""

from __future__ import annotations

import time

import redis

from bot.entrypoints.health import bot_health, doctor, model
from bot.entrypoints.settings import Settings
from tests.fakes.openai_server import ScriptedOpenAI
from tests.fakes.redis_dbs import STORES_REDIS_URL
from tests.workers.test_health import free_port
from workers.health import WATCHDOG_HEARTBEAT_KEY


def _states(report) -> dict[str, str]:
    return {check.name: check.state for check in report.checks}


def test_the_embedded_default_passes_and_says_what_it_does_not_use(tmp_path):
    report = doctor(Settings.from_environment({}), cwd=tmp_path)
    assert report.ok, report.as_dict()
    assert str(tmp_path / ".importbot" / "databases") in report.checks[0].detail
    assert _states(report) == {
        "database": "ok",
        "redis": "not used",
        "workers": "not used",
        "model": "not used",
        "watchdog": "not used",
        "oldest job": "ok",
    }
    assert not (tmp_path / ".importbot").exists(), "a health check creates nothing"


def test_with_redis_configured_and_no_worker_the_workers_fail(tmp_path):
    redis.Redis.from_url(STORES_REDIS_URL).delete(WATCHDOG_HEARTBEAT_KEY)
    settings = Settings.from_environment(
        {"IMPORTBOT_REDIS_URL": STORES_REDIS_URL, "IMPORTBOT_DOLT_URL": f"doltlite:{tmp_path}"}
    )
    report = doctor(settings, cwd=tmp_path, worker_timeout=0.3)
    assert not report.ok and report.down == ["workers"]
    states = _states(report)
    assert states["redis"] == "ok" and states["watchdog"] == "down"  # reported, not required


def test_redis_down_is_the_failure_named_not_the_parts_behind_it(tmp_path):
    settings = Settings.from_environment(
        {"IMPORTBOT_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    )
    report = doctor(settings, cwd=tmp_path)
    assert report.down == ["redis"]
    details = {check.name: check.detail for check in report.checks}
    assert details["workers"].startswith("unknown") and details["watchdog"].startswith("unknown")


def test_a_configured_model_endpoint_is_asked(tmp_path):
    with ScriptedOpenAI({"scripted": [{"ok": True}]}) as server:
        up = model(Settings.from_environment(server.client_env))
    assert up.ok and "answers" in up.detail
    down = model(
        Settings.from_environment(
            {
                "IMPORTBOT_LLM": "openai",
                "OPENAI_API_KEY": "sk-test",
                "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
            }
        )
    )
    assert not down.ok and down.needed and "cannot be reached" in down.detail
    report = doctor(
        Settings.from_environment(
            {"IMPORTBOT_LLM": "openai", "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
        ),
        cwd=tmp_path,
    )
    assert report.down == ["model"]


def test_a_model_setting_that_cannot_work_is_down(tmp_path):
    assert (
        "needs OPENAI_API_KEY"
        in model(Settings.from_environment({"IMPORTBOT_LLM": "openai"})).detail
    )
    wrong = model(Settings.from_environment({"IMPORTBOT_LLM": "gpt"}))
    assert not wrong.ok and "IMPORTBOT_LLM" in wrong.detail
    local = model(
        Settings.from_environment(
            {"IMPORTBOT_LLM": "local", "IMPORTBOT_LOCAL_MODEL": str(tmp_path / "missing.gguf")}
        )
    )
    assert not local.ok and "importbot model fetch" in local.detail


def test_the_bot_needs_redis_and_the_database(tmp_path):
    up = bot_health(
        Settings.from_environment(
            {"IMPORTBOT_REDIS_URL": STORES_REDIS_URL, "IMPORTBOT_DOLT_URL": f"doltlite:{tmp_path}"}
        )
    )()
    assert up.ok and [c.name for c in up.checks] == ["redis", "database"]
    no_redis = bot_health(
        Settings.from_environment(
            {
                "IMPORTBOT_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                "IMPORTBOT_DOLT_URL": f"doltlite:{tmp_path}",
            }
        )
    )()
    assert no_redis.down == ["redis"]
    started = time.monotonic()
    no_database = bot_health(
        Settings.from_environment(
            {
                "IMPORTBOT_REDIS_URL": STORES_REDIS_URL,
                "IMPORTBOT_DOLT_URL": f"mysql://root@127.0.0.1:{free_port()}",
            }
        )
    )()
    assert no_database.down == ["database"] and time.monotonic() - started < 5
