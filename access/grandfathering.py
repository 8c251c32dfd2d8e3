"""Rule 4: everyone who held fullmakt on 11.11.2022, as the register knew it that day,
became autorisert bestiller lønn, from the control date 18.11.2022.

"As the register knew it on 11.11.2022" means: versions recorded before the
end of that Oslo date. A fullmakt recorded on 12.11 (Oslo), even back-dated
to start earlier, grants nothing; one recorded at 23:30 on 11.11 in Oslo
does, and one recorded at 23:30 UTC on 11.11 (00:30 on 12.11 in Oslo) does
not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from portal.dates import end_of_day_exclusive, shown_moment
from portal.models import RoleAssignment, RoleType
from portal.organisations import is_active_member
from portal.services import do_assign_role

GRANDFATHERING_DATE = dt.date(2022, 11, 11)


@dataclass(frozen=True)
class Grant:
    fullmakt: RoleAssignment
    valid_from: dt.date
    outcome: str  # "granted", "would grant", "already granted", "already holds", "not a member"


def fullmakt_known_on(as_of: dt.date) -> list[RoleAssignment]:
    """Fullmakt held on ``as_of`` as recorded by the end of that Oslo date."""
    known_at = end_of_day_exclusive(as_of) - dt.timedelta(microseconds=1)
    return list(
        RoleAssignment.objects.as_recorded_at(known_at)
        .held_on(as_of)
        .of_role(RoleType.FULLMAKT)
        .select_related("person", "organisation", "role")
        .order_by("organisation__name", "person__last_name", "person__first_name", "pk")
    )


def grandfather_payroll_orderers(
    *, as_of: dt.date = GRANDFATHERING_DATE, dry_run: bool
) -> list[Grant]:
    """Grant autorisert bestiller lønn to every such fullmakt holder once (idempotent)."""
    control_date = settings.PAYROLL_ORDER_CONTROL_DATE
    role = RoleType.objects.get(code=RoleType.PAYROLL_ORDERER)
    grants: list[Grant] = []
    with transaction.atomic():
        for fullmakt in fullmakt_known_on(as_of):
            valid_from = max(control_date, fullmakt.valid_from)
            lineages = RoleAssignment.objects.filter(lineage=fullmakt.lineage).values("pk")
            if RoleAssignment.objects.filter(
                basis=RoleAssignment.Basis.GRANDFATHERING, derived_from__in=lineages
            ).exists():
                grants.append(Grant(fullmakt, valid_from, "already granted"))
                continue
            already = (
                RoleAssignment.objects.newest_versions()
                .held_on(valid_from)
                .filter(person=fullmakt.person, organisation=fullmakt.organisation, role=role)
                .exists()
            )
            if already:
                grants.append(Grant(fullmakt, valid_from, "already holds"))
                continue
            # The gate, asked now: a role granted today to someone who has left would
            # count for nothing and only muddle the register; the run says so instead.
            if not is_active_member(fullmakt.person, fullmakt.organisation):
                grants.append(Grant(fullmakt, valid_from, "not a member"))
                continue
            if dry_run:
                grants.append(Grant(fullmakt, valid_from, "would grant"))
                continue
            do_assign_role(
                actor=None,  # recorded as made by the system
                person=fullmakt.person,
                organisation=fullmakt.organisation,
                role=role,
                valid_from=valid_from,
                basis=RoleAssignment.Basis.GRANDFATHERING,
                # The record itself, by its id and lineage; the audit row also names it.
                evidence=(
                    f"Fullmakt {fullmakt.pk} ({fullmakt.lineage}), registrert "
                    f"{shown_moment(fullmakt.recorded_at)}"
                ),
                derived_from=fullmakt,
            )
            grants.append(Grant(fullmakt, valid_from, "granted"))
    return grants
