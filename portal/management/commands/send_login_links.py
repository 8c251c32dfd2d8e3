"""manage.py send_login_links [--org SLUG] [--dry-run]

E-mails each organisation's Kontaktperson IT-teknisk (the current holders of the
role) the organisation's direct login link, and says which organisations have
nobody to send it to. The e-mail is in each recipient's language (their preferred
one, else the site's); it goes to the agencies' technical staff, who pass the link
on to their users.

The e-mails go through the outbox (portal.mail): a worker sends them, retried
while the mail server is away. Each person gets the link once a day at most, so
running the command again after it stopped half-way sends only what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.dates import today as oslo_today
from portal.mail import queue_email
from portal.models import Organisation, RoleAssignment, RoleType, User


def message(person: User, organisation: Organisation, link: str, contact: str) -> tuple[str, str]:
    """The e-mail's subject and body, in the recipient's language (their preferred one,
    else the site's), with the role named as the catalogue names it in that language."""
    with translation.override(person.language or settings.LANGUAGE_CODE):
        role = RoleType.objects.get(code=RoleType.TECHNICAL_CONTACT).name
        values = {
            "name": person.first_name or person.get_full_name() or person.username,
            "role": role[:1].lower() + role[1:],
            "organisation": organisation.name,
            "link": link,
            "contact": contact,
        }
        subject = _("Direct login link to Kundesenter for %(organisation)s") % values
        body = (
            _(
                "Hello %(name)s,\n"
                "\n"
                "You are registered as %(role)s for %(organisation)s in Kundesenter.\n"
                "\n"
                "This is the direct login link to %(organisation)s:\n"
                "%(link)s\n"
                "\n"
                "The link starts the login with %(organisation)s chosen and takes your users "
                "straight to the new version of Kundesenter. Share it with those who use "
                "Kundesenter in your organisation, for example on the intranet or as a bookmark.\n"
                "\n"
                "The link gives no access by itself: everyone must log in, and only those "
                "registered as members of %(organisation)s get in.\n"
                "\n"
                "Questions? Contact the customer centre: %(contact)s\n"
                "\n"
                "This e-mail cannot be answered.\n"
                "\n"
                "Regards\n"
                "Kundesenter\n"
            )
            % values
        )
    return subject, body


def login_link(organisation: Organisation) -> str:
    """The organisation's direct login link as an absolute address (SITE_URL)."""
    return settings.SITE_URL + reverse("direct_link", args=[organisation.slug])


def technical_contacts(organisations: list[Organisation]) -> dict[int, list[User]]:
    """Per organisation id: the people holding Kontaktperson IT-teknisk today who pass the
    gate (active members of the organisation) and have an e-mail address, each once."""
    holders: dict[int, dict[int, User]] = defaultdict(dict)
    assignments = (
        RoleAssignment.objects.held_today()
        .of_active_members()
        .of_role(RoleType.TECHNICAL_CONTACT)
        .filter(organisation__in=organisations)
        .exclude(person__email="")
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "person__pk")
    )
    for assignment in assignments:
        holders[assignment.organisation_id][assignment.person_id] = assignment.person
    return {org_id: list(people.values()) for org_id, people in holders.items()}


class Command(BaseCommand):
    help = (
        "E-mail each organisation's Kontaktperson IT-teknisk its direct login link "
        "(/inn/<slug>/), and list the organisations that have no technical contact."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation.")
        parser.add_argument("--dry-run", action="store_true", help="Show, send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = list(Organisation.objects.active().order_by("name"))
        if options["org"]:
            organisations = [o for o in organisations if o.slug == options["org"]]
            if not organisations:
                raise CommandError(f"No active organisation has the slug {options['org']!r}.")
        dry_run: bool = options["dry_run"]
        contacts = technical_contacts(organisations)
        planned, queued, without = 0, 0, []
        contact_page = settings.SITE_URL + reverse("portal:contact")
        day = oslo_today().isoformat()
        for organisation in organisations:
            people = contacts.get(organisation.pk, [])
            if not people:
                without.append(organisation)
                continue
            link = login_link(organisation)
            for person in people:
                planned += 1
                if dry_run:
                    self.stdout.write(f"Would send {link} to {person.email} ({organisation.name})")
                    continue
                subject, body = message(person, organisation, link, contact_page)
                added = queue_email(
                    event=f"login-link:{organisation.pk}:{day}",
                    to=person.email,
                    subject=subject,
                    body=body,
                )
                queued += added
                verb = "Queued" if added else "Already queued today:"
                self.stdout.write(f"{verb} {link} to {person.email} ({organisation.name})")
        for organisation in without:
            self.stdout.write(
                f"No technical contact: {organisation.name} ({organisation.slug}) "
                f"– link {login_link(organisation)}"
            )
        done = (
            f"Dry run, nothing sent: {planned} e-mail(s) to send"
            if dry_run
            else f"{queued} e-mail(s) queued for sending"
        )
        self.stdout.write(f"{done}, {len(without)} organisation(s) without a technical contact.")
