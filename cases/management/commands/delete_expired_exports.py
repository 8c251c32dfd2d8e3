"""Delete finished Excel exports (files and jobs) older than EXPORT_KEEP_HOURS. The queue
does it every ten minutes (cases.tasks); this is for doing it by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.exporting import EXPORT_KEEP_HOURS, delete_expired_jobs


class Command(BaseCommand):
    help = f"Delete Excel exports older than {EXPORT_KEEP_HOURS} hours, with their files."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = delete_expired_jobs()
        self.stdout.write(f"{deleted} export(s) deleted.")
