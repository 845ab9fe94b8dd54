"""Artifacts saved with a job before a field was renamed still load."""

from __future__ import annotations

from agents.artifacts import ExecutionReport, Review


def test_a_review_saved_with_job_loads_as_job_id():
    saved = {
        "job": "20261201-abc123",
        "database": "families",
        "branch": "import/20261201-abc123",
        "commit": None,
        "tables": [],
        "rejected_rows": 0,
        "rejects": [],
    }
    review = Review.model_validate(saved)
    assert review.job_id == "20261201-abc123"
    assert "job" not in review.model_dump() and review.model_dump()["job_id"] == review.job_id


def test_an_execution_report_saved_with_job_loads_as_job_id():
    saved = {
        "job": "J1",
        "database": "d",
        "branch": "import/J1",
        "base": "abc",
        "commit": None,
        "loads": [],
    }
    assert ExecutionReport.model_validate(saved).job_id == "J1"
