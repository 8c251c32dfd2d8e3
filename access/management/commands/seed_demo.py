"""Load the demo data of every layer once; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from access import demo as access_demo
from cases import demo as case_demo
from cases.search import refresh_title_trigrams
from portal import demo as portal_demo


class Command(BaseCommand):
    help = "Load demo organisations, users, roles and cases (idempotent). Needs DEBUG on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load demo users even with DEBUG off (never on a production server).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "Demo users have a published password; seed_demo only runs with DEBUG=1."
            )
        organisations, people, new_users = portal_demo.load()
        # Before the cases: some of Fjordetaten's came through the API, from its HR system.
        access_demo.load_api_clients(organisations, people)
        new_cases = case_demo.load(organisations, people)
        new_cases += access_demo.load(organisations, people)
        refresh_title_trigrams()  # what production's nightly run keeps (cases/search.py)
        self.stdout.write(
            f"Demo data ready: {len(organisations)} organisations, {new_users} new users, "
            f"{new_cases} new cases."
        )
