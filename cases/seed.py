"""Reference data of the cases layer: subject areas and the staff teams.

Written once and used twice: by the data migration, and after every
``migrate``/``flush`` through ``post_migrate`` (cases/apps.py), so a database
flushed by transactional tests gets it back.
"""

from __future__ import annotations

from typing import Any

from portal.teams import TEAM_GROUPS

SUBJECT_AREAS = [
    ("lonn", "Lønnskjøring", "Payroll run", 10),
    ("lonn", "Reiseregning og utlegg", "Travel and expenses", 20),
    ("lonn", "Skatt og A-melding", "Tax and A-melding", 30),
    ("lonn", "Fravær og permisjon", "Absence and leave", 40),
    ("lonn", "Pensjon og SPK", "Pension", 50),
    ("lonn", "Tilganger og roller lønn", "Payroll access and roles", 60),
    ("lonn", "Annet lønn", "Other payroll", 90),
    ("regnskap", "Fakturabehandling", "Invoice processing", 10),
    ("regnskap", "Bokføring og avstemming", "Bookkeeping and reconciliation", 20),
    ("regnskap", "Årsoppgjør", "Year-end closing", 30),
    ("regnskap", "Rapportering", "Reporting", 40),
    ("regnskap", "Tilganger og roller regnskap", "Accounting access and roles", 60),
    ("regnskap", "Annet regnskap", "Other accounting", 90),
]

# Support staff are grouped by area: each team works the cases of its category.
TEAMS = {str(area): name for area, name in TEAM_GROUPS.items()}
TEAM_PERMISSIONS = [
    ("cases", "case", ["view", "add", "change"]),
    ("cases", "message", ["view", "add"]),
    ("cases", "attachment", ["view", "add"]),
    ("cases", "statuschange", ["view"]),
    ("cases", "casechange", ["view"]),
    ("cases", "answertemplate", ["view", "add", "change", "delete"]),
    ("cases", "subjectarea", ["view"]),
    ("portal", "organisation", ["view"]),
    ("portal", "membership", ["view", "add", "delete"]),
    ("portal", "roleassignment", ["view", "add"]),
    ("portal", "auditevent", ["view"]),
    ("portal", "feedback", ["view"]),
    ("portal", "user", ["view"]),
]


def ensure_subject_areas(subject_area_model: Any) -> None:
    for category, name_nb, name_en, position in SUBJECT_AREAS:
        subject_area_model.objects.get_or_create(
            category=category, name_nb=name_nb, defaults={"name_en": name_en, "position": position}
        )


def ensure_teams(
    group_model: Any,
    permission_model: Any,
    permissions: list[tuple[str, str, list[str]]] = TEAM_PERMISSIONS,
) -> None:
    """The team groups with their permissions (permissions must exist already)."""
    for name in TEAMS.values():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, model, actions in permissions:
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
