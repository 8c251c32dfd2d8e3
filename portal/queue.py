"""Deferring jobs in the caller's transaction, and how the task queue is doing.

``defer_in_transaction`` is how the portal puts a job on the queue. Within a
web process Procrastinate's app writes its jobs through Django's connection,
so a job deferred in a transaction exists exactly when the transaction
commits. Within a worker the app has a connection pool of its own, which
commits a job at once: a job deferred by a job (``tell_news`` queueing an
e-mail) could then be taken by another worker before the rows it is about
were committed, find nothing, and end. So every defer goes through Django's
connection, wherever it runs.

``queue_state`` is for the health check (``/helse/``) and its readers.

Read straight from Procrastinate's tables in one statement: how many jobs are
due and waiting, how long the one that has waited longest has waited, how many
are running, and how many workers gave a sign of life within
QUEUE_STALLED_SECONDS. A queue that grows, or an oldest job that ages, means too
few workers (docs/deployment.md, "What to scale when").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.jobs import JobDeferrer
from procrastinate.manager import JobManager
from procrastinate.tasks import Task

_through_django = JobManager(DjangoConnector())


def defer_in_transaction(
    task: Task[Any, Any, Any], *, queueing_lock: str | None = None, **task_kwargs: Any
) -> int:
    """Put a job of ``task`` on the queue as part of the current transaction (if any).
    Returns the job's id; ``AlreadyEnqueued`` when ``queueing_lock`` is taken."""
    job = task.configure(queueing_lock=queueing_lock).job
    return JobDeferrer(_through_django, job).defer(**task_kwargs)


# A job that waits for its turn: due now (a retry's wait is over) and not taken.
_FIGURES = """
WITH due AS (
    SELECT j.id, j.scheduled_at FROM procrastinate_jobs j
    WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
)
SELECT
    (SELECT count(*) FROM due),
    (SELECT extract(epoch FROM now() - min(coalesce(
        due.scheduled_at,
        (SELECT min(e.at) FROM procrastinate_events e
         WHERE e.job_id = due.id AND e.type = 'deferred')
    ))) FROM due),
    (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'),
    (SELECT count(*) FROM procrastinate_workers
     WHERE last_heartbeat > now() - make_interval(secs => %s))
"""


@dataclass(frozen=True)
class QueueState:
    waiting: int
    oldest_waiting_seconds: int | None
    running: int
    workers: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def queue_state() -> QueueState:
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES, [settings.QUEUE_STALLED_SECONDS])
        waiting, oldest, running, workers = cursor.fetchone()
    return QueueState(
        waiting=int(waiting),
        oldest_waiting_seconds=None if oldest is None else round(oldest),
        running=int(running),
        workers=int(workers),
    )
