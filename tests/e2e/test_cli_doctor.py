"""`importbot doctor` as an operator runs it: the embedded default passes on its own, a setup
with Redis and a real worker passes once the worker answers, and Redis down fails with exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.workers.conftest import REDIS_URL, worker_env
from tests.workers.test_health import free_port

IMPORTBOT = [sys.executable, "-c", "from bot.entrypoints.cli import main; main()"]


def doctor(*args: str, cwd, **env: str) -> subprocess.CompletedProcess:
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("IMPORTBOT_", "OPENAI_"))
    }
    return subprocess.run(
        [*IMPORTBOT, "doctor", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_embedded_default_passes_with_what_it_does_not_use_shown(tmp_path):
    done = doctor(cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("✓ database") and "doltlite at" in lines[0]
    for name in ("redis", "workers", "model", "watchdog"):
        assert any(line.startswith(f"– {name}") and "not used" in line for line in lines), name
    assert lines[-1] == "Every part this setup needs answers."
    shown = json.loads(doctor("--json", cwd=tmp_path).stdout)
    assert shown["ok"] is True and shown["down"] == []
    assert {c["name"]: c["state"] for c in shown["checks"]}["redis"] == "not used"


def test_with_redis_and_a_real_worker_it_passes(place, workers):
    env = {
        key: value
        for key, value in worker_env(place).items()
        if key.startswith("IMPORTBOT_") and key != "IMPORTBOT_LLM"
    }
    before = json.loads(doctor("--json", cwd=place, **env).stdout)
    assert before["down"] == ["workers"]
    workers.start("--queues", "stages,doltlite.0")
    deadline = time.monotonic() + 60
    done = doctor(cwd=place, **env)
    while done.returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        done = doctor(cwd=place, **env)
    assert done.returncode == 0, done.stdout + workers.logs()[-2000:]
    assert "✓ redis" in done.stdout and "✓ workers" in done.stdout
    details = {
        check["name"]: check["detail"]
        for check in json.loads(doctor("--json", cwd=place, **env).stdout)["checks"]
    }
    assert "doltlite.0: 1 worker" in details["workers"]
    # no heartbeat yet is "not running", not required; once the worker's watchdog has beaten
    assert details["watchdog"].startswith(("not running", "running"))
    assert REDIS_URL.rsplit(":", 1)[1] in details["redis"]  # which Redis, e.g. 6379/4


def test_redis_down_exits_1_naming_it(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = doctor(cwd=tmp_path, IMPORTBOT_REDIS_URL=url)
    assert done.returncode == 1
    assert "✗ redis" in done.stdout and "refused the connection" in done.stdout
    assert done.stdout.splitlines()[-1] == "Down: redis."
    shown = doctor("--json", cwd=tmp_path, IMPORTBOT_REDIS_URL=url)
    assert shown.returncode == 1 and json.loads(shown.stdout)["down"] == ["redis"]
