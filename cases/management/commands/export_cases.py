"""Write the case list of one user and organisation to an xlsx file (benchmarks, support)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from cases.exporting import export_to_file
from cases.list_views import chosen_columns
from portal.models import Organisation, User
from portal.organisations import is_active_member


class Command(BaseCommand):
    help = "Export the cases USERNAME sees in ORGANISATION with the list's URL parameters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation-slug", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--query", default="", help="The list's URL parameters, urlencoded.")
        parser.add_argument("--out", required=True)
        parser.add_argument("--language", default="nb")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["organisation_slug"])
            user = User.objects.get(username=options["username"])
        except (Organisation.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        if not is_active_member(user, organisation):
            raise CommandError(f"{user} is not an active member of {organisation}")
        done = 0

        def progress(rows: int) -> None:
            nonlocal done
            done = rows

        handle, _name = export_to_file(
            user,
            [organisation],
            QueryDict(options["query"]),
            chosen_columns(user),
            language=options["language"],
            progress=progress,
        )
        with handle, open(options["out"], "wb") as out:
            while chunk := handle.read(1 << 20):
                out.write(chunk)
        self.stdout.write(f"{done} rows written to {options['out']}")
