"""The cases app's background work on the queue (Procrastinate finds this module).

The jobs themselves live beside what they do: ``cases.exporting.make_export`` and
``cases.notify.tell_news``; the periodic upkeep is here. Cron times are UTC.
"""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from cases import exporting, files, notify, search

logger = logging.getLogger(__name__)

__all__ = [
    "delete_expired_exports",
    "exporting",
    "notify",
    "refresh_title_trigrams",
    "sweep_orphan_files",
]


@app.periodic(cron="15 1 * * *", periodic_id="refresh-title-trigrams")
@app.task(name="cases.refresh_title_trigrams", queueing_lock="refresh-title-trigrams")
def refresh_title_trigrams(timestamp: int) -> int:
    """Nightly: sample the case titles for the title search's choice of index pieces."""
    sampled = search.refresh_title_trigrams(search.SAMPLE_ROWS)
    logger.info("Sampled %d titles for the title search", sampled)
    return sampled


@app.periodic(cron="*/10 * * * *", periodic_id="delete-expired-exports")
@app.task(name="cases.delete_expired_exports", queueing_lock="delete-expired-exports")
def delete_expired_exports(timestamp: int) -> int:
    """Delete exports (files and rows) made more than EXPORT_KEEP_HOURS ago."""
    return exporting.delete_expired_jobs()


@app.periodic(cron="35 * * * *", periodic_id="sweep-orphan-files")
@app.task(name="cases.sweep_orphan_files", queueing_lock="sweep-orphan-files")
def sweep_orphan_files(timestamp: int) -> int:
    """Hourly: delete files no row names, an hour after they were written (a submission
    killed before its commit, rows an operator deleted)."""
    deleted = files.sweep_orphan_files()
    if deleted:
        logger.warning("Deleted %d file(s) that no row names", len(deleted))
    return len(deleted)
