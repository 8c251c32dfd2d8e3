"""Support staff are grouped in teams by area (Django groups); each team works its own area.

A superuser works every area; a staff member in no team works none. Every
admin and every staff service scopes by ``staff_areas`` (the admin is a client
of the services, so a refusal here holds whatever the admin showed).
"""

from __future__ import annotations

from typing import Any

from portal.models import Area

TEAM_GROUPS = {Area.PAYROLL: "Team lønn", Area.ACCOUNTING: "Team regnskap"}


def staff_areas(user: Any) -> list[str]:
    """The areas a staff member works: all for a superuser, else their teams'."""
    if not getattr(user, "is_staff", False) or not getattr(user, "is_active", False):
        return []
    if user.is_superuser:
        return [str(area) for area in Area]
    names = set(user.groups.values_list("name", flat=True))
    return [str(area) for area, group in TEAM_GROUPS.items() if group in names]


def request_staff_areas(request: Any) -> list[str]:
    """``staff_areas`` of the request's user, asked once per request: the admin asks it
    for every register on every page (the sidebar, the index), and a request's user
    does not change teams while it is answered."""
    cached = getattr(request, "_staff_areas", None)
    if cached is None:
        cached = request._staff_areas = tuple(staff_areas(request.user))
    return list(cached)


def works_area(user: Any, area: str) -> bool:
    """May ``user`` work on something of ``area`` ("" means shared by both teams)?"""
    areas = staff_areas(user)
    return bool(areas) and (area == "" or area in areas)
