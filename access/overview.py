"""Min side's overviews: access grants (filter and Excel export), groupings, ended roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from access import rules
from access.models import AccessGrant, System
from cases.text import fold
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, RoleAssignment, RoleType, User


def grants_in(
    organisation: Organisation, params: QueryDict
) -> tuple[QuerySet[AccessGrant], dict[str, Any]]:
    """Today's grants in the organisation, filtered by person (name or e-mail) and system."""
    grants = (
        AccessGrant.objects.held_today()
        .filter(organisation=organisation)
        .select_related("system_role__system", "person")
        .order_by("person_name", "system_role__system__position", "system_role__position", "pk")
    )
    person = params.get("person", "").strip()[:100]
    system = params.get("system", "").strip()
    if person:
        grants = grants.filter(Q(person_name__icontains=person) | Q(person_email__icontains=person))
    systems = list(System.objects.filter(is_active=True).exclude(area=System.Area.CUSTOMER_CENTRE))
    if system and system in {s.code for s in systems}:
        grants = grants.filter(system_role__system__code=system)
    else:
        system = ""
    return grants, {"person": person, "system": system, "systems": systems, "folded": fold(person)}


def own_grants(user: User, organisation: Organisation) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.held_today()
        .filter(organisation=organisation, person=user)
        .select_related("system_role__system")
    )


# Min side's groupings of people: the contact persons and the authorities (fullmakt,
# the orderers, the budget holder). The access roles (utvidet tilgang) are not a
# grouping of people to contact; they are listed under "Access in the organisation".
GROUPING_KINDS = (RoleType.Kind.CONTACT, RoleType.Kind.AUTHORITY)


def grouping_roles(organisation: Organisation) -> QuerySet[RoleType]:
    """The groupings Min side shows for ``organisation``, in their order: every active
    contact or authority role type, but none of an area the organisation does not buy."""
    return RoleType.objects.filter(
        kind__in=GROUPING_KINDS, is_active=True, area__in=["", *organisation.areas]
    ).order_by("position", "name_nb")


# How far back a role that ended is still mentioned to the person who held it, on Min
# side and the order page: five years, long enough for someone who comes back after
# leave or uses the portal rarely (Eva, whose role ended in 2023) to learn why she
# cannot do what she once could; one line per role type, and none for a role she
# holds again.
ENDED_ROLES_SHOWN_FOR_YEARS = 5


@dataclass(frozen=True)
class EndedRole:
    """A role the person held and no longer holds, and whom to ask to get it back."""

    assignment: RoleAssignment
    name: str
    ask: list[RoleAssignment]  # the people in the organisation who can give it again
    orderer_path: bool  # nobody can order it now, but someone can appoint an orderer
    fullmakt_form: bool  # nobody can appoint either: the fullmakt form is the way
    customer_centre: bool  # the customer centre registers it (contact groupings and the like)


def ended_roles(user: User, organisation: Organisation) -> list[EndedRole]:
    """The roles ``user`` held in ``organisation`` that ended within the window, newest
    end first. "Through D" (the last day held) is ``valid_to``, an Oslo date."""
    today = oslo_today()
    since = _years_before(today, ENDED_ROLES_SHOWN_FOR_YEARS)
    mine = (
        RoleAssignment.objects.newest_versions()
        .filter(person=user, organisation=organisation, retracted=False, role__is_active=True)
        .select_related("role")
    )
    held_now = set(mine.held_on(today).values_list("role_id", flat=True))
    ended = mine.filter(valid_to__lt=today, valid_to__gte=since).order_by("-valid_to", "-pk")
    result: list[EndedRole] = []
    seen: set[int] = set(held_now)
    for assignment in ended:
        if assignment.role_id in seen:
            continue
        seen.add(assignment.role_id)
        result.append(_whom_to_ask(user, organisation, assignment))
    return result


def _whom_to_ask(user: User, organisation: Organisation, assignment: RoleAssignment) -> EndedRole:
    role = assignment.role
    name = role.name
    area = role.area if role.area in organisation.areas else ""
    if role.kind == RoleType.Kind.ACCESS and area:
        # Extended access is ordered, by the area's authorised orderers (rule 3).
        ask = [a for a in rules.orderers(organisation, area) if a.person_id != user.pk]
        if ask:
            return EndedRole(assignment, name, ask, False, False, False)
        way = rules.appointing(organisation, area)
        return EndedRole(
            assignment, name, [], not way.fullmakt_form_needed, way.fullmakt_form_needed, False
        )
    if role.code in rules.ORDERER_ROLE.values() and area:
        # An orderer is appointed (rule 5), or registered from the fullmakt form.
        way = rules.appointing(organisation, Area(area))
        ask = [a for a in way.appointers if a.person_id != user.pk]
        if ask and not way.fullmakt_form_needed:
            return EndedRole(assignment, name, ask, False, False, False)
        return EndedRole(assignment, name, [], False, True, False)
    if role.code == RoleType.FULLMAKT:
        return EndedRole(assignment, name, [], False, True, False)
    return EndedRole(assignment, name, [], False, False, True)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
