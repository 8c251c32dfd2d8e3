"""Make the waiting Excel exports: the background worker for production."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.exporting import claim_next_job, delete_expired_jobs, run_job_safely


class Command(BaseCommand):
    help = "Run waiting export jobs; keeps polling unless --once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is waiting, then stop.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        last_cleanup = 0.0
        while True:
            if time.monotonic() - last_cleanup > 600:  # old files go within ten minutes
                delete_expired_jobs()
                last_cleanup = time.monotonic()
            job = claim_next_job()
            if job is not None:
                run_job_safely(job.pk)
                job.refresh_from_db()
                self.stdout.write(f"Export {job.pk}: {job.state}, {job.rows_done} rows")
                continue
            if options["once"]:
                return
            time.sleep(options["interval"])
