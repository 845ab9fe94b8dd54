"""What only FileJobStore does; the protocol both stores hold is in test_job_stores.py."""

from __future__ import annotations

from tests.workers.test_job_stores import job
from workers.file_store import FileJobStore


def test_each_job_is_one_json_file_in_its_own_folder(tmp_path):
    store = FileJobStore(tmp_path / "jobs")
    store.create(job("J1"))
    assert (tmp_path / "jobs" / "J1" / "job.json").is_file()
