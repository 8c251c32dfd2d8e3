"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

# Upkeep the worker runs every few seconds: its start and end lines say nothing.
FREQUENT_UPKEEP = frozenset({"portal.retry_stalled_jobs"})


class QuietUpkeep(logging.Filter):
    """Leave out the worker's routine lines about the frequent upkeep jobs; a warning or
    an error about them still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = getattr(record, "job", None)
        routine = record.levelno <= logging.INFO and isinstance(job, dict)
        return not (routine and job.get("task_name") in FREQUENT_UPKEEP)  # type: ignore[union-attr]
