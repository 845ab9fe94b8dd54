"""The Celery app: Redis broker, late acks, prefetch 1, a visibility timeout above the longest
task, no result backend (job state lives in the job store). Configured from the environment:
this module is the worker's entry point (`importbot worker`, or `celery -A workers.celery_app`).
"""

from __future__ import annotations

import os

from celery import Celery

REDIS_URL = os.environ.get("IMPORTBOT_REDIS_URL", "redis://127.0.0.1:6379/0")
TASK_TIME_LIMIT = int(os.environ.get("IMPORTBOT_TASK_TIME_LIMIT", "7200"))
VISIBILITY_TIMEOUT = TASK_TIME_LIMIT + int(os.environ.get("IMPORTBOT_VISIBILITY_MARGIN", "600"))
RESTORE_INTERVAL = int(os.environ.get("IMPORTBOT_RESTORE_INTERVAL", "10"))
TASK_RETRIES = int(os.environ.get("IMPORTBOT_TASK_RETRIES", "12"))
"""Tries again of a step on a transient error (the model or database not answering); then the
job fails, saying so."""
RETRY_BACKOFF_MAX = int(os.environ.get("IMPORTBOT_RETRY_BACKOFF_MAX", "120"))
"""The longest pause (seconds) between two tries; the pauses double from 2 s, with jitter."""

app = Celery("importbot", broker=REDIS_URL, include=["workers.tasks"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=TASK_TIME_LIMIT,
    task_soft_time_limit=TASK_TIME_LIMIT - 60 if TASK_TIME_LIMIT > 120 else None,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    task_default_queue="stages",
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": RESTORE_INTERVAL,
        "unacked_restore_throttle": 1,
    },
    worker_hijack_root_logger=False,
)
