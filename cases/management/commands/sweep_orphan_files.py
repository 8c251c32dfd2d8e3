"""Delete attachment and export files that no row names (cases.files.sweep_orphan_files)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.files import ORPHAN_GRACE, sweep_orphan_files


class Command(BaseCommand):
    help = (
        "Delete attachment and export files that no row names (left by a killed "
        "submission or a deleted case), once they are older than the grace period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=int(ORPHAN_GRACE.total_seconds() // 60),
            help="Leave files written less than this long ago (a submission may still "
            "be in its transaction). Default: %(default)s.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["older_than_minutes"]
        if minutes < 0:
            raise CommandError("--older-than-minutes must be 0 or more.")
        deleted = sweep_orphan_files(older_than=dt.timedelta(minutes=minutes))
        self.stdout.write(f"{len(deleted)} file(s) without a row deleted.")
