"""The Redis databases the tests use, on the real Redis at 127.0.0.1:6379.

Two numbered databases: one for the workers' world (broker and job store), one for the stores
and ports tested alone. `IMPORTBOT_TEST_REDIS_BASE` moves both (default 13, so 13 and 14), so two
test runs on one machine do not flush each other's data.
"""

from __future__ import annotations

import os

BASE = int(os.environ.get("IMPORTBOT_TEST_REDIS_BASE", "13"))
WORKERS_REDIS_URL = f"redis://127.0.0.1:6379/{BASE}"
STORES_REDIS_URL = f"redis://127.0.0.1:6379/{BASE + 1}"
