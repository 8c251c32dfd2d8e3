"""Support staff are grouped in teams by area; each team works its own category."""

from __future__ import annotations

from typing import Any

from portal.models import Area

TEAM_GROUPS = {Area.PAYROLL: "Team lønn", Area.ACCOUNTING: "Team regnskap"}


def staff_categories(user: Any) -> list[str]:
    """The case categories a staff member works: all for a superuser, else their teams'."""
    if not getattr(user, "is_staff", False):
        return []
    if user.is_superuser:
        return [str(area) for area in Area]
    names = set(user.groups.values_list("name", flat=True))
    return [str(area) for area, group in TEAM_GROUPS.items() if group in names]
