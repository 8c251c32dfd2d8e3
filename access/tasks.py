"""The access app's background work on the queue (Procrastinate finds this module)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from access import fullmakt_views


@app.periodic(cron="50 * * * *", periodic_id="sweep-held-files")
@app.task(name="access.sweep_held_files", queueing_lock="sweep-held-files")
def sweep_held_files(timestamp: int) -> int:
    """Hourly: delete fullmakt forms held for a review that was never finished."""
    return len(fullmakt_views.sweep_held_files())
