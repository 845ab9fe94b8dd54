"""Each health check against the real part, up and down: the real Redis, real doltlite, the
local MariaDB (when present), a real `importbot worker`, and local HTTP servers standing in for
the model endpoint. "Down" is a port nothing listens on."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from datetime import timedelta

import pytest
from celery import Celery

from tests.dolt.test_sqlserver_mariadb import mariadb_available
from tests.fakes.local_http import start_local_server, stop_local_server
from tests.fakes.openai_server import ScriptedOpenAI
from tests.fakes.redis_dbs import WORKERS_REDIS_URL
from workers import health
from workers.file_store import FileJobStore
from workers.job import Job, Person, Place, now
from workers.redis_store import RedisJobStore
from workers.states import Status


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- gather and the report -----------------------------------------------------------------------
def test_a_report_fails_only_on_needed_parts_and_a_raising_check_is_reported_down():
    def broken() -> health.Check:
        raise RuntimeError("boom")

    report = health.gather(
        [
            ("redis", lambda: health.Check("redis", True, "answers")),
            ("watchdog", lambda: health.Check("watchdog", False, "not running", needed=False)),
            ("model", lambda: health.not_used("model", "IMPORTBOT_LLM is off")),
        ]
    )
    assert report.ok and report.down == []
    assert [c.state for c in report.checks] == ["ok", "down", "not used"]

    failing = health.gather([("database", broken)])
    assert not failing.ok and failing.down == ["database"]
    assert "boom" in failing.checks[0].detail
    assert failing.summary() == {"ok": False, "down": ["database"], "checks": {"database": "down"}}


# -- the database --------------------------------------------------------------------------------
def test_doltlite_lists_its_databases(doltlite_server, tmp_path):
    doltlite_server.create_database(name="families").close()
    check = health.database(f"doltlite:{tmp_path / 'databases'}")
    assert check.ok and "1 database(s): families" in check.detail


def test_a_doltlite_directory_not_made_yet_is_fine_and_is_not_created(tmp_path):
    check = health.database(f"doltlite:{tmp_path / 'later'}")
    assert check.ok and "no databases yet" in check.detail
    assert not (tmp_path / "later").exists()


def test_a_doltlite_url_naming_a_file_is_down(tmp_path):
    (tmp_path / "dbs").write_text("not a directory")
    check = health.database(f"doltlite:{tmp_path / 'dbs'}")
    assert not check.ok and "is a file, not a directory" in check.detail


def test_a_sql_server_nothing_listens_on_is_down_without_its_password():
    port = free_port()
    started = time.monotonic()
    check = health.database(f"mysql://root:secret-pw@127.0.0.1:{port}", timeout=1.0)
    assert time.monotonic() - started < 5
    assert not check.ok
    assert f"root@127.0.0.1:{port} does not answer" in check.detail
    assert "IMPORTBOT_DOLT_URL" in check.detail and "secret-pw" not in check.detail


def test_an_unusable_url_says_how_to_set_it():
    check = health.database("postgres://somewhere")
    assert not check.ok and "IMPORTBOT_DOLT_URL" in check.detail


def test_a_sql_server_that_answers_is_up():
    missing = mariadb_available()
    if missing:
        pytest.skip(missing)
    check = health.database("mysql://root@127.0.0.1:3306")
    assert check.ok and "sql-server at mysql://root@127.0.0.1:3306" in check.detail


# -- Redis ---------------------------------------------------------------------------------------
def test_redis_answers():
    check = health.redis_ping(WORKERS_REDIS_URL)
    assert check.ok and health.redis_address(WORKERS_REDIS_URL) in check.detail


def test_redis_nothing_listens_on_is_down_with_what_to_do():
    port = free_port()
    check = health.redis_ping(f"redis://:hunter2@127.0.0.1:{port}/3")
    assert not check.ok
    assert f"Redis at 127.0.0.1:{port}/3 refused the connection" in check.detail
    assert "redis-server" in check.detail and "IMPORTBOT_REDIS_URL" in check.detail
    assert "hunter2" not in check.detail


def test_a_url_that_is_not_a_redis_url_is_down_and_says_so():
    check = health.redis_ping("127.0.0.1:6379")
    assert not check.ok and "not a Redis URL" in check.detail


# -- the model endpoint --------------------------------------------------------------------------
def test_the_model_endpoint_answers_and_lists_the_models():
    with ScriptedOpenAI({"model-a": [{"ok": True}]}) as server:
        check = health.model_endpoint(server.base_url, api_key="sk-test", models=["model-a"])
        asked = server.requests
    assert check.ok and "lists 1 model(s)" in check.detail and "does not list" not in check.detail
    assert [(r.method, r.path) for r in asked] == [("GET", "/v1/models")]
    assert asked[0].headers["authorization"] == "Bearer sk-test"


def test_a_model_the_endpoint_does_not_list_is_named():
    with ScriptedOpenAI({"model-a": [{"ok": True}]}) as server:
        check = health.model_endpoint(server.base_url, models=["model-b"])
    assert check.ok and "does not list model-b" in check.detail


def test_a_model_endpoint_nothing_listens_on_is_down():
    check = health.model_endpoint(f"http://127.0.0.1:{free_port()}/v1", timeout=1.0)
    assert not check.ok and "cannot be reached" in check.detail
    assert "OPENAI_BASE_URL" in check.detail


class _Unavailable(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Silent(http.server.BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        self.release.wait(10)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_model_endpoint_answering_503_is_down():
    httpd, thread = start_local_server(_Unavailable)
    try:
        check = health.model_endpoint(f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    finally:
        stop_local_server(httpd, thread)
    assert not check.ok and "answered HTTP 503 to GET /models" in check.detail


def test_a_model_endpoint_that_never_answers_is_down_within_the_timeout():
    httpd, thread = start_local_server(_Silent)
    started = time.monotonic()
    try:
        check = health.model_endpoint(f"http://127.0.0.1:{httpd.server_address[1]}/v1", timeout=0.5)
    finally:
        _Silent.release.set()
        stop_local_server(httpd, thread)
    assert time.monotonic() - started < 5
    assert not check.ok and "did not answer within 0.5 s" in check.detail


# -- the watchdog --------------------------------------------------------------------------------
def test_no_watchdog_heartbeat_is_reported_as_not_running_but_not_required(redis_db):
    check = health.watchdog(redis_db)
    assert not check.ok and not check.needed and check.detail.startswith("not running")


def test_a_fresh_heartbeat_is_running_and_a_stale_one_is_a_failure(redis_db):
    health.beat_watchdog(redis_db)
    assert health.watchdog(redis_db).ok
    health.beat_watchdog(redis_db, at=time.time() - 630)
    stale = health.watchdog(redis_db, max_age=120)
    assert not stale.ok and stale.needed and "stopped" in stale.detail and "10 min" in stale.detail


# -- the oldest open job -------------------------------------------------------------------------
def _job(job_id: str, status: Status, *, age_minutes: float) -> Job:
    created = now() - timedelta(minutes=age_minutes)
    return Job(
        id=job_id,
        requester=Person(id="U_ADA", name="Ada"),
        place=Place(kind="terminal"),
        text="import x",
        status=status,
        created_at=created,
        updated_at=created,
    )


def _three_jobs(store) -> None:
    store.create(_job("j-merged", Status.MERGED, age_minutes=300))
    store.create(_job("j-review", Status.AWAITING_REVIEW, age_minutes=125))
    store.create(_job("j-running", Status.RUNNING, age_minutes=5))


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_the_oldest_open_job_is_named_with_its_status_and_age(kind, tmp_path, redis_db):
    store = FileJobStore(tmp_path / "jobs") if kind == "file" else RedisJobStore(redis_db)
    assert health.oldest_open_job(store).detail == "none open: every job has ended"
    _three_jobs(store)
    check = health.oldest_open_job(store)
    assert check.ok and not check.needed
    assert check.detail.startswith("j-review is awaiting review, created 2 h 5 min ago")


def test_jobs_that_cannot_be_read_are_reported():
    store = RedisJobStore(health.redis_client(f"redis://127.0.0.1:{free_port()}/0"))
    check = health.oldest_open_job(store)
    assert not check.ok and "cannot be read" in check.detail


# -- the Celery workers --------------------------------------------------------------------------
def _workers_check(**kwargs) -> health.Check:
    app = Celery("test-health", broker=WORKERS_REDIS_URL)
    try:
        return health.workers(app, queues=["stages", "doltlite.0"], **kwargs)
    finally:
        app.close()


def _eventually(check, *, timeout: float = 60.0) -> health.Check:
    deadline = time.monotonic() + timeout
    found = check()
    while not found.ok and time.monotonic() < deadline:
        time.sleep(0.5)
        found = check()
    return found


def test_no_worker_is_down(redis_db):
    check = _workers_check(timeout=0.5)
    assert not check.ok and "no worker answered within 0.5 s" in check.detail
    assert "importbot worker" in check.detail


def test_a_worker_consuming_every_queue_is_up(workers, redis_db):
    workers.start("--queues", "stages,doltlite.0")
    check = _eventually(lambda: _workers_check(broker=redis_db))
    assert check.ok, workers.logs()[-2000:]
    assert "1 worker(s) answered" in check.detail
    assert "stages: 1 worker, 0 waiting" in check.detail
    assert "doltlite.0: 1 worker, 0 waiting" in check.detail


def test_a_queue_no_worker_consumes_is_named(workers, redis_db):
    workers.start("--queues", "stages")
    deadline = time.monotonic() + 60
    check = _workers_check(broker=redis_db)
    while check.detail.startswith("no worker answered") and time.monotonic() < deadline:
        time.sleep(0.5)
        check = _workers_check(broker=redis_db)
    assert not check.ok, workers.logs()[-2000:]
    assert check.detail.startswith("no worker is consuming queue doltlite.0")
    assert "importbot worker --queues doltlite.0 --concurrency 1" in check.detail
