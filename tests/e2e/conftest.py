from tests.workers.conftest import place, redis_db, workers  # noqa: F401  (shared fixtures)
