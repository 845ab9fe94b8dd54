"""The job's DuckDB limits are read from the environment by the settings entry point."""

from bot.entrypoints.settings import Settings


def test_duckdb_limits_come_from_the_environment() -> None:
    settings = Settings.from_environment(
        {
            "IMPORTBOT_DUCKDB_MEMORY_LIMIT": "1GB",
            "IMPORTBOT_DUCKDB_THREADS": "3",
            "IMPORTBOT_PLAN_COUNT_SECONDS": "12.5",
        }
    )

    assert (settings.duckdb_memory_limit, settings.duckdb_threads) == ("1GB", 3)
    assert settings.plan_count_seconds == 12.5


def test_unset_duckdb_limits_leave_the_defaults_to_the_libraries() -> None:
    settings = Settings.from_environment({})

    assert (settings.duckdb_memory_limit, settings.duckdb_threads) == (None, None)
    assert settings.plan_count_seconds is None


def test_the_limits_read_reach_every_job_this_process_opens(tmp_path) -> None:
    """What the worker and the terminal do at start: the limits apply to the jobs' DuckDB and
    to plan counting, then the defaults come back."""
    from agents.stages import plan
    from agents.staging import connection
    from bot.entrypoints.settings import use_process_limits

    environ = {
        "IMPORTBOT_DUCKDB_MEMORY_LIMIT": "100MB",
        "IMPORTBOT_DUCKDB_THREADS": "1",
        "IMPORTBOT_PLAN_COUNT_SECONDS": "7",
    }
    try:
        use_process_limits(Settings.from_environment(environ))
        con = connection.open_duckdb(workdir=tmp_path)
        limit, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
        con.close()
        assert (limit, threads) == ("95.3 MiB", 1)
        assert plan._process_count_seconds == 7
    finally:
        use_process_limits(Settings.from_environment({}))
        plan.use_count_seconds(plan.COUNT_SECONDS)
