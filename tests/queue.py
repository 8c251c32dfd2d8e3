"""Run the jobs waiting on the queue inside a test's transaction.

A real worker (``manage.py procrastinate worker``) runs each task in a thread
with a database connection of its own, so it cannot see what a test wrote in
its transaction. ``run_jobs`` does for each job what the worker does, on the
test's connection, through Procrastinate's own job manager: it takes the next
job that is due (``fetch_job`` marks it doing), runs the task, and records the
outcome (success; the retry the task's strategy asks for, due later; or
failure). The fault tests (tests/test_queue_faults.py) run real workers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections
from procrastinate import jobs
from procrastinate.contrib.django import app


@dataclass(frozen=True)
class Ran:
    task: str
    kwargs: dict[str, Any]
    outcome: str  # "succeeded", "retry" or "failed"


def run_jobs(queues: Iterable[str] | None = None, *, limit: int = 200) -> list[Ran]:
    """Run the due jobs (of ``queues``, else every queue) until none is left."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_jobs(queues, limit)
    # An event loop runs in this thread (Playwright's, in a browser test): the jobs
    # run on a thread of their own, which sees what the test committed, as the
    # browser tests' live server does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_jobs_and_close, queues, limit).result()


def _run_jobs_and_close(queues: Iterable[str] | None, limit: int) -> list[Ran]:
    try:
        return _run_jobs(queues, limit)
    finally:
        connections.close_all()  # this thread's own


def _run_jobs(queues: Iterable[str] | None, limit: int) -> list[Ran]:
    manager = app.job_manager
    worker_id = async_to_sync(manager.register_worker)()
    ran: list[Ran] = []
    try:
        for _ in range(limit):
            job = async_to_sync(manager.fetch_job)(list(queues) if queues else None, worker_id)
            if job is None:
                return ran
            task = app.tasks[job.task_name]
            # Django's connection hands jsonb over as text (its JSONField decodes it).
            kwargs = job.task_kwargs
            if isinstance(kwargs, str):
                kwargs = json.loads(kwargs)
            try:
                task(**kwargs)
            except Exception as error:
                retry = task.get_retry_exception(exception=error, job=job)
                if retry is not None:
                    decision = retry.retry_decision
                    async_to_sync(manager.retry_job)(job, retry_at=decision.retry_at)
                    ran.append(Ran(job.task_name, kwargs, "retry"))
                else:
                    async_to_sync(manager.finish_job)(job, jobs.Status.FAILED, False)
                    ran.append(Ran(job.task_name, kwargs, "failed"))
            else:
                async_to_sync(manager.finish_job)(job, jobs.Status.SUCCEEDED, True)
                ran.append(Ran(job.task_name, kwargs, "succeeded"))
        raise AssertionError(f"More than {limit} jobs: a job that defers itself?")
    finally:
        async_to_sync(manager.unregister_worker)(worker_id)


def make_due() -> int:
    """The waits before retries are over: every waiting job may run now. Returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now()"
            " WHERE status = 'todo' AND scheduled_at > now()"
        )
        return cursor.rowcount


def jobs_of(*task_names: str, statuses: tuple[str, ...] = ("todo",)) -> int:
    """How many jobs (of ``task_names``, else of any task) are in ``statuses``; by
    default, how many wait."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status::text = ANY(%s)"
            " AND (cardinality(%s::text[]) = 0 OR task_name = ANY(%s))",
            [list(statuses), list(task_names), list(task_names)],
        )
        return int(cursor.fetchone()[0])


@pytest.fixture(name="run_jobs")
def run_jobs_fixture() -> Callable[..., list[Ran]]:
    return run_jobs
