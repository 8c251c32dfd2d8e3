"""The demo cast and organisations shared by ``seed_demo`` and the tests.

Names follow the story the tests tell (STYLE.md): Kari is the authorised
payroll orderer, Ola holds fullmakt, Per is a plain member, Nina belongs to
another organisation, Mona works for two, Siv is support staff, Eva's role has
expired. Later layers (cases, access) give them their cases and roles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group

from portal.dates import OSLO
from portal.models import Area, Membership, Organisation, RoleAssignment, RoleType, User
from portal.seed import ensure_role_types
from portal.services import do_assign_role
from portal.teams import TEAM_GROUPS
from portal.validators import org_number_check_digit

DEMO_PASSWORD = "kundesenter-demo"  # noqa: S105 - documented demo login, DEBUG only
# The client id of Fjordetaten's demo HR system: registered by the demo data (access/demo.py),
# the one `manage.py dev_issuer token` mints tokens for unless told another.
DEMO_API_CLIENT_ID = "demo-hr"


def org_number(first_eight: str) -> str:
    """A valid organisation number from eight digits (the caller avoids remainder 1)."""
    digit = org_number_check_digit(first_eight)
    if digit is None:
        raise ValueError(f"{first_eight} has no valid check digit")
    return f"{first_eight}{digit}"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    org_number: str
    buys_payroll: bool = True
    buys_accounting: bool = True


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    organisations: tuple[str, ...]
    job_title: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    teams: tuple[str, ...] = ()


ORGANISATIONS = (
    DemoOrganisation("fjordetaten", "Fjordetaten", org_number("97400001")),
    DemoOrganisation("kystdirektoratet", "Kystdirektoratet", org_number("97400002")),
    DemoOrganisation(
        "statens-arkivtjeneste",
        "Statens arkivtjeneste",
        org_number("97400003"),
        buys_accounting=False,
    ),
    DemoOrganisation("fjellskolen", "Fjellskolen", org_number("97400004")),
    DemoOrganisation(
        "nordlys-museum", "Nordlys museum", org_number("97400005"), buys_payroll=False
    ),
)

PEOPLE = (
    DemoPerson("kari", "Kari", "Nordmann", ("fjordetaten",), "Lønnsleder"),
    DemoPerson("ola", "Ola", "Hansen", ("fjordetaten",), "Økonomisjef"),
    DemoPerson("per", "Per", "Olsen", ("fjordetaten",), "Lønnsmedarbeider"),
    DemoPerson("nina", "Nina", "Berg", ("kystdirektoratet",), "Regnskapsmedarbeider"),
    DemoPerson("mona", "Mona", "Lie", ("fjordetaten", "kystdirektoratet"), "Controller"),
    DemoPerson("eva", "Eva", "Dahl", ("fjordetaten",), "Tidligere lønnsleder"),
    DemoPerson("siv", "Siv", "Støtte", (), "Saksbehandler", is_staff=True, is_superuser=True),
    # The support desk's staff: two in the payroll team (a fullmakt form needs two
    # pairs of eyes), one in the accounting team. Not superusers: they see their team's work.
    DemoPerson("lena", "Lena", "Lund", (), "Saksbehandler lønn", is_staff=True, teams=("lonn",)),
    DemoPerson("lars", "Lars", "Lie", (), "Saksbehandler lønn", is_staff=True, teams=("lonn",)),
    DemoPerson(
        "rolf", "Rolf", "Rud", (), "Saksbehandler regnskap", is_staff=True, teams=("regnskap",)
    ),
    DemoPerson("trude", "Trude", "Vik", ("kystdirektoratet",), "Administrasjonssjef"),
    DemoPerson("jon", "Jon", "Aas", ("fjellskolen",), "Rektor"),
    DemoPerson("lise", "Lise", "Moe", ("statens-arkivtjeneste",), "Direktør"),
    DemoPerson("arne", "Arne", "Strand", ("nordlys-museum",), "Konservator"),
)


def _oslo(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).replace(tzinfo=OSLO)


# Fullmakt recorded before, on and after 11.11.2022, so that running
# `manage.py grandfather_payroll_orderers` shows rule 4 at work:
# Ola and Trude (recorded long before) and Jon (recorded on 11.11.2022 in the
# evening) become orderers; Lise's fullmakt was recorded 14.11.2022, back-dated
# to 01.11.2022, and grants nothing, so Statens arkivtjeneste has nobody who
# can order payroll access; she is its only member, and nobody appoints themselves,
# so she is shown the fullmakt form. Nordlys museum's only member, Arne, holds no
# authority at all (the form path too). tests/test_demo.py checks that every
# organisation has someone who can appoint or is shown the form.
FULLMAKT = (
    ("ola", "fjordetaten", dt.date(2020, 5, 1), _oslo("2020-05-01T10:00")),
    ("trude", "kystdirektoratet", dt.date(2021, 2, 1), _oslo("2021-02-01T09:00")),
    ("jon", "fjellskolen", dt.date(2022, 11, 1), _oslo("2022-11-11T20:00")),
    ("lise", "statens-arkivtjeneste", dt.date(2022, 11, 1), _oslo("2022-11-14T09:30")),
)

# (username, organisation slug, role code, valid from, valid to)
ROLES = (
    ("kari", "fjordetaten", RoleType.PAYROLL_ORDERER, dt.date(2022, 11, 18), None),
    ("kari", "fjordetaten", RoleType.EXTENDED_PAYROLL, dt.date(2021, 3, 1), None),
    ("kari", "fjordetaten", "kontaktperson-lonn", dt.date(2019, 1, 1), None),
    ("ola", "fjordetaten", "kontraktsansvarlig", dt.date(2018, 1, 1), None),
    ("ola", "fjordetaten", RoleType.BUDGET_HOLDER, dt.date(2018, 1, 1), None),
    ("eva", "fjordetaten", RoleType.EXTENDED_PAYROLL, dt.date(2019, 1, 1), dt.date(2023, 6, 30)),
    ("mona", "fjordetaten", "kontaktperson-regnskap", dt.date(2020, 1, 1), None),
    ("mona", "kystdirektoratet", RoleType.EXTENDED_ACCOUNTING, dt.date(2022, 1, 1), None),
    ("nina", "kystdirektoratet", "kontaktperson-it-teknisk", dt.date(2021, 1, 1), None),
)


def load() -> tuple[dict[str, Organisation], dict[str, User], int]:
    """Create the demo organisations, people and roles that are missing.

    Returns the organisations and people by key, and how many users were new.
    """
    ensure_role_types(RoleType)
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
    people: dict[str, User] = {}
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
        people[person.username] = user
        for slug in person.organisations:
            Membership.objects.get_or_create(user=user, organisation=organisations[slug])
        for area in person.teams:
            team, _ = Group.objects.get_or_create(name=TEAM_GROUPS[Area(area)])
            user.groups.add(team)
    for username, slug, code, valid_from, valid_to in ROLES:
        role = RoleType.objects.get(code=code)
        held = RoleAssignment.objects.filter(
            person=people[username], organisation=organisations[slug], role=role
        )
        if not held.exists():
            do_assign_role(
                actor=None,
                person=people[username],
                organisation=organisations[slug],
                role=role,
                valid_from=valid_from,
                valid_to=valid_to,
                basis=RoleAssignment.Basis.STAFF,
                evidence="Demodata",
            )
    for username, slug, valid_from, recorded_at in FULLMAKT:
        fullmakt = RoleType.objects.get(code=RoleType.FULLMAKT)
        if not RoleAssignment.objects.filter(person=people[username], role=fullmakt).exists():
            do_assign_role(
                actor=None,
                person=people[username],
                organisation=organisations[slug],
                role=fullmakt,
                valid_from=valid_from,
                basis=RoleAssignment.Basis.STAFF,
                evidence="Demodata",
                recorded_at=recorded_at,
            )
    return organisations, people, created
