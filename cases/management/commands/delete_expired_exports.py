"""Delete finished Excel exports (files and jobs) older than EXPORT_KEEP_HOURS, and take up
jobs whose worker died. Run it hourly in production; the worker loop does it too."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.exporting import EXPORT_KEEP_HOURS, delete_expired_jobs, reclaim_stale_jobs


class Command(BaseCommand):
    help = f"Delete Excel exports older than {EXPORT_KEEP_HOURS} hours; reclaim stuck jobs."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = delete_expired_jobs()
        reclaimed = reclaim_stale_jobs()
        self.stdout.write(f"{deleted} export(s) deleted, {reclaimed} stuck job(s) taken up again.")
