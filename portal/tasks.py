"""The queue's own upkeep, and the portal's tasks (Procrastinate finds each app's tasks.py).

Every worker runs the periodic deferrer; Procrastinate makes one job per tick
whatever the number of workers. Cron times are UTC.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from procrastinate import JobContext
from procrastinate.contrib.django import app

from portal import mail  # noqa: F401 - registers the e-mail tasks
from portal.models import IdempotentRequest

logger = logging.getLogger(__name__)

KEEP_FAILED_JOBS_HOURS = 7 * 24


@app.periodic(cron="* * * * * */15", periodic_id="retry-stalled-jobs")
@app.task(name="portal.retry_stalled_jobs", queueing_lock="retry-stalled-jobs", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Hand the jobs of a worker that died (no heartbeat for QUEUE_STALLED_SECONDS) to the
    others. The job itself decides whether it has been tried often enough. Returns how many."""
    manager = context.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=settings.QUEUE_STALLED_SECONDS)
    )
    for job in stalled:
        logger.warning("Job %s (%s) lost its worker: retried", job.id, job.task_name)
        await manager.retry_job(job)
    return len(stalled)


@app.periodic(cron="20 2 * * *", periodic_id="forget-old-jobs")
@app.task(name="portal.forget_old_jobs", queueing_lock="forget-old-jobs", pass_context=True)
async def forget_old_jobs(context: JobContext, timestamp: int) -> None:
    """Remove finished jobs the worker kept (failed, cancelled) after a week."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=KEEP_FAILED_JOBS_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


@app.periodic(cron="30 2 * * *", periodic_id="forget-idempotency-keys")
@app.task(name="portal.forget_idempotency_keys", queueing_lock="forget-idempotency-keys")
def forget_idempotency_keys(timestamp: int) -> int:
    """Forget the API's idempotency keys older than API_IDEMPOTENCY_HOURS: a system
    retrying later than that is no longer retrying. Returns how many."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
