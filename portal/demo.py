"""The demo cast and organisations shared by ``seed_demo`` and the tests.

Names follow the story the tests tell (STYLE.md): Kari is the authorised
payroll orderer, Ola holds fullmakt, Per is a plain member, Nina belongs to
another organisation, Mona works for two, Siv is support staff, Eva's role has
expired. Later layers (cases, access) give them their cases and roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.validators import org_number_check_digit

DEMO_PASSWORD = "kundesenter-demo"  # noqa: S105 - documented demo login, DEBUG only


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
)
