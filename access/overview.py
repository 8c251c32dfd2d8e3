"""Min side's overview of access grants in the organisation: filter and Excel export."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from access.models import AccessGrant, System
from cases.text import fold
from portal.models import Organisation, RoleType, User


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
