"""The worker's routine lines about the frequent upkeep are left out; others stay."""

from __future__ import annotations

import logging

from portal.logs import QuietUpkeep


def _record(level: int, task_name: str | None) -> logging.LogRecord:
    record = logging.LogRecord("procrastinate.worker", level, __file__, 1, "Job ended", (), None)
    if task_name is not None:
        record.job = {"task_name": task_name}
    return record


def test_routine_lines_of_the_frequent_upkeep_are_left_out() -> None:
    assert not QuietUpkeep().filter(_record(logging.INFO, "portal.retry_stalled_jobs"))


def test_a_warning_about_the_upkeep_and_every_other_job_stay() -> None:
    quiet = QuietUpkeep()
    assert quiet.filter(_record(logging.WARNING, "portal.retry_stalled_jobs"))
    assert quiet.filter(_record(logging.INFO, "cases.make_export"))
    assert quiet.filter(_record(logging.INFO, None))
