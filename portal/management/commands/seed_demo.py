"""Load the demo organisations and people once; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portal.demo import DEMO_PASSWORD, ORGANISATIONS, PEOPLE
from portal.models import Membership, Organisation, User


class Command(BaseCommand):
    help = "Load demo organisations and users (idempotent). Refuses to run with DEBUG off."

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
        organisations = {}
        for demo_org in ORGANISATIONS:
            organisation, _ = Organisation.objects.get_or_create(
                slug=demo_org.slug,
                defaults={
                    "name": demo_org.name,
                    "org_number": demo_org.org_number,
                    "buys_payroll": demo_org.buys_payroll,
                    "buys_accounting": demo_org.buys_accounting,
                },
            )
            organisations[demo_org.slug] = organisation
        created = 0
        for person in PEOPLE:
            domain = "kundesenter.example" if person.is_staff else "virksomhet.example"
            user, was_created = User.objects.get_or_create(
                username=person.username,
                defaults={
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "email": f"{person.username}@{domain}",
                    "job_title": person.job_title,
                    "phone": "+47 900 00 000",
                    "is_staff": person.is_staff,
                    "is_superuser": person.is_superuser,
                },
            )
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created += 1
            for slug in person.organisations:
                Membership.objects.get_or_create(user=user, organisation=organisations[slug])
        self.stdout.write(
            f"Demo data ready: {len(organisations)} organisations, {created} new users."
        )
