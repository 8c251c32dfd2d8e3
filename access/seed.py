"""The catalogue of systems and roles customers can order (reference data, admin-editable).

Used by the data migration and after every migrate/flush (access/apps.py).
"""

from __future__ import annotations

from typing import Any

# What the staff teams may do in this layer's admins (each scoped to the team's area).
TEAM_PERMISSIONS = [
    ("access", "appointment", ["view", "change"]),
    ("access", "order", ["view", "change"]),
    ("access", "orderline", ["view", "change"]),
    ("access", "fullmaktsubmission", ["view", "change"]),
    ("access", "accessgrant", ["view"]),
    ("access", "system", ["view"]),
    ("access", "systemrole", ["view"]),
]

# code, area, name_nb, name_en, description_nb, description_en, roles
CATALOGUE: list[tuple[str, str, str, str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "lonnssystem",
        "lonn",
        "Lønnssystemet",
        "The payroll system",
        "Registrering av lønn, trekk og fravær, og lønnskjøring.",
        "Registering pay, deductions and absence, and running payroll.",
        [
            (
                "lonnsmedarbeider",
                "Lønnsmedarbeider",
                "Payroll officer",
                "Registrerer og kontrollerer lønnsdata.",
            ),
            ("lonnsleder", "Lønnsleder", "Payroll manager", "Godkjenner lønnskjøringer."),
            ("rapportleser-lonn", "Rapportleser lønn", "Payroll report reader", "Leser rapporter."),
        ],
    ),
    (
        "reise-og-utlegg",
        "lonn",
        "Reise og utlegg",
        "Travel and expenses",
        "Reiseregninger og utleggsrefusjoner.",
        "Travel claims and expense refunds.",
        [
            ("attestant-reise", "Attestant reise", "Travel approver", "Attesterer reiseregninger."),
            (
                "godkjenner-reise",
                "Godkjenner reise",
                "Travel authoriser",
                "Godkjenner reiseregninger.",
            ),
        ],
    ),
    (
        "regnskapssystem",
        "regnskap",
        "Regnskapssystemet",
        "The accounting system",
        "Bokføring, fakturabehandling og rapportering.",
        "Bookkeeping, invoice processing and reporting.",
        [
            ("attestant", "Attestant", "Certifier", "Attesterer fakturaer."),
            ("budsjettdisponent", "Budsjettdisponent", "Budget holder", "Godkjenner fakturaer."),
            ("regnskapsmedarbeider", "Regnskapsmedarbeider", "Accounting officer", "Bokfører."),
            (
                "rapportleser-regnskap",
                "Rapportleser regnskap",
                "Accounting report reader",
                "Leser rapporter.",
            ),
        ],
    ),
    (
        "kundesenter",
        "kundesenter",
        "Kundesenter på nett",
        "The online customer centre",
        "Utvidet tilgang: se alle virksomhetens saker i et område.",
        "Extended access: see all the organisation's cases in an area.",
        [
            (
                "utvidet-tilgang-lonn",
                "Utvidet tilgang lønn",
                "Extended access, payroll",
                "Ser alle lønnssaker.",
            ),
            (
                "utvidet-tilgang-regnskap",
                "Utvidet tilgang regnskap",
                "Extended access, accounting",
                "Ser alle regnskapssaker.",
            ),
        ],
    ),
]


def ensure_catalogue(system_model: Any, system_role_model: Any, role_type_model: Any) -> None:
    """Create the missing systems and roles; never overwrite what staff changed."""
    for position, (code, area, name_nb, name_en, desc_nb, desc_en, roles) in enumerate(CATALOGUE):
        system, _ = system_model.objects.get_or_create(
            code=code,
            defaults={
                "area": area,
                "name_nb": name_nb,
                "name_en": name_en,
                "description_nb": desc_nb,
                "description_en": desc_en,
                "position": position * 10,
            },
        )
        for role_position, (role_code, role_nb, role_en, role_desc) in enumerate(roles):
            register_role = (
                role_type_model.objects.filter(code=role_code).first()
                if area == "kundesenter"
                else None
            )
            system_role_model.objects.get_or_create(
                system=system,
                code=role_code,
                defaults={
                    "name_nb": role_nb,
                    "name_en": role_en,
                    "description_nb": role_desc,
                    "position": role_position * 10,
                    "register_role": register_role,
                },
            )
