"""Reference data every installation has: the role types the rules name.

Used by the data migrations and after every ``migrate``/``flush`` through
``post_migrate`` (portal/apps.py), so a database flushed by transactional
tests gets it back. Written once.
"""

from __future__ import annotations

from typing import Any

ROLE_TYPES = [
    # code, name_nb, name_en, kind, area, position
    ("kontraktsansvarlig", "Kontraktsansvarlig", "Contract owner", "contact", "", 10),
    ("kontaktperson-lonn", "Kontaktperson lønn", "Contact person, payroll", "contact", "lonn", 20),
    (
        "kontaktperson-regnskap",
        "Kontaktperson regnskap",
        "Contact person, accounting",
        "contact",
        "regnskap",
        30,
    ),
    (
        "kontaktperson-it-teknisk",
        "Kontaktperson IT-teknisk",
        "Technical IT contact",
        "contact",
        "",
        40,
    ),
    ("fullmakt", "Fullmakt", "Power of attorney (fullmakt)", "authority", "", 50),
    (
        "autorisert-bestiller-lonn",
        "Autorisert bestiller lønn",
        "Authorised payroll orderer",
        "authority",
        "lonn",
        60,
    ),
    (
        "autorisert-bestiller-regnskap",
        "Autorisert bestiller regnskap",
        "Authorised accounting orderer",
        "authority",
        "regnskap",
        70,
    ),
    (
        "budsjettdisponent",
        "Budsjettdisponent",
        "Budget holder (budsjettdisponent)",
        "authority",
        "",
        80,
    ),
    (
        "utvidet-tilgang-lonn",
        "Utvidet tilgang lønn",
        "Extended access, payroll",
        "access",
        "lonn",
        90,
    ),
    (
        "utvidet-tilgang-regnskap",
        "Utvidet tilgang regnskap",
        "Extended access, accounting",
        "access",
        "regnskap",
        100,
    ),
]


def ensure_role_types(role_type_model: Any) -> None:
    """Create the named role types that are missing (takes the model, so migrations can call it)."""
    for code, name_nb, name_en, kind, area, position in ROLE_TYPES:
        role_type_model.objects.get_or_create(
            code=code,
            defaults={
                "name_nb": name_nb,
                "name_en": name_en,
                "kind": kind,
                "area": area,
                "position": position,
            },
        )


CONTACT_CENTRES = [
    {
        "area": "lonn",
        "name_nb": "Kundesenter for lønn",
        "name_en": "Payroll customer centre",
        "phone": "+47 400 07 997",
        "email": "lonn@kundesenter.example",
        "opening_hours_nb": "Hverdager 08.00–15.30",
        "opening_hours_en": "Weekdays 08:00–15:30",
    },
    {
        "area": "regnskap",
        "name_nb": "Kundesenter for regnskap",
        "name_en": "Accounting customer centre",
        "phone": "+47 400 07 998",
        "email": "regnskap@kundesenter.example",
        "opening_hours_nb": "Hverdager 08.00–15.30",
        "opening_hours_en": "Weekdays 08:00–15:30",
    },
]


def ensure_contact_centres(contact_centre_model: Any) -> None:
    """Both customer centres exist (staff edit the details; this never overwrites them)."""
    for centre in CONTACT_CENTRES:
        contact_centre_model.objects.get_or_create(area=centre["area"], defaults=centre)


# Nynorsk for the reference data's Norwegian text (bokmål -> nynorsk), for every
# seeded catalogue: role types, customer centres, subject areas, systems, system roles.
NYNORSK = {
    # role types
    "Kontraktsansvarlig": "Kontraktsansvarleg",
    "Kontaktperson lønn": "Kontaktperson løn",
    "Kontaktperson regnskap": "Kontaktperson rekneskap",
    "Kontaktperson IT-teknisk": "Kontaktperson IT-teknisk",
    "Fullmakt": "Fullmakt",
    "Autorisert bestiller lønn": "Autorisert bestillar løn",
    "Autorisert bestiller regnskap": "Autorisert bestillar rekneskap",
    "Budsjettdisponent": "Budsjettdisponent",
    "Utvidet tilgang lønn": "Utvida tilgang løn",
    "Utvidet tilgang regnskap": "Utvida tilgang rekneskap",
    # customer centres
    "Kundesenter for lønn": "Kundesenter for løn",
    "Kundesenter for regnskap": "Kundesenter for rekneskap",
    "Hverdager 08.00–15.30": "Kvardagar 08.00–15.30",
    # subject areas
    "Lønnskjøring": "Lønskøyring",
    "Reiseregning og utlegg": "Reiserekning og utlegg",
    "Skatt og A-melding": "Skatt og A-melding",
    "Fravær og permisjon": "Fråvær og permisjon",
    "Pensjon og SPK": "Pensjon og SPK",
    "Tilganger og roller lønn": "Tilgangar og roller løn",
    "Annet lønn": "Anna løn",
    "Fakturabehandling": "Fakturabehandling",
    "Bokføring og avstemming": "Bokføring og avstemming",
    "Årsoppgjør": "Årsoppgjer",
    "Rapportering": "Rapportering",
    "Tilganger og roller regnskap": "Tilgangar og roller rekneskap",
    "Annet regnskap": "Anna rekneskap",
    # systems and their roles
    "Lønnssystemet": "Lønssystemet",
    "Lønnsmedarbeider": "Lønsmedarbeidar",
    "Lønnsleder": "Lønsleiar",
    "Rapportleser lønn": "Rapportlesar løn",
    "Reise og utlegg": "Reise og utlegg",
    "Attestant reise": "Attestant reise",
    "Godkjenner reise": "Godkjennar reise",
    "Regnskapssystemet": "Rekneskapssystemet",
    "Attestant": "Attestant",
    "Regnskapsmedarbeider": "Rekneskapsmedarbeidar",
    "Rapportleser regnskap": "Rapportlesar rekneskap",
    "Kundesenter på nett": "Kundesenter på nett",
}


def fill_nynorsk(model: Any, fields: tuple[str, ...] = ("name",)) -> None:
    """Give seeded rows their nynorsk text where it is blank (never overwrites staff's text).

    Takes the model, so migrations can call it; the older data migrations create
    rows without the ``_nn`` fields, so this runs after them.
    """
    for field in fields:
        for nb, nn in NYNORSK.items():
            model.objects.filter(**{f"{field}_nb": nb, f"{field}_nn": ""}).update(
                **{f"{field}_nn": nn}
            )
