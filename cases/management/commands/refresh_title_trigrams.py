"""Sample the case titles for the title search's choice of index pieces (cases.search)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.search import SAMPLE_ROWS, refresh_title_trigrams


class Command(BaseCommand):
    help = "Sample case titles: how common each three-character piece is (run nightly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rows", type=int, default=SAMPLE_ROWS, help="About how many titles to sample."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sampled = refresh_title_trigrams(max(options["rows"], 1))
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Sampled {sampled} titles in {elapsed:.1f} s.")
