"""manage.py grandfather_payroll_orderers [--as-of 2022-11-11] [--dry-run]"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.grandfathering import GRANDFATHERING_DATE, grandfather_payroll_orderers
from portal.dates import shown_moment


class Command(BaseCommand):
    help = (
        "Rule 4: make every fullmakt holder of the given Oslo date (as the register knew it "
        "then) autorisert bestiller lønn from the control date. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            default=GRANDFATHERING_DATE.isoformat(),
            help="The Oslo date the fullmakt must have been held and known (YYYY-MM-DD).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError as exc:
            raise CommandError(
                f"--as-of must be a date as YYYY-MM-DD, not {options['as_of']!r}"
            ) from exc
        grants = grandfather_payroll_orderers(as_of=as_of, dry_run=options["dry_run"])
        for grant in grants:
            fullmakt = grant.fullmakt
            self.stdout.write(
                f"{grant.outcome:15} {fullmakt.organisation.name} – {fullmakt.person}"
                f" (fullmakt fra {fullmakt.valid_from:%d.%m.%Y}, registrert"
                f" {shown_moment(fullmakt.recorded_at)}) → fra {grant.valid_from:%d.%m.%Y}"
            )
        counts: dict[str, int] = {}
        for grant in grants:
            counts[grant.outcome] = counts.get(grant.outcome, 0) + 1
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing"
        prefix = "Dry run, nothing changed: " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{summary}.")
