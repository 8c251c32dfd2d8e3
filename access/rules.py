"""What roles permit: the release note's rules, each written once and named after it.

The rules are numbered as in docs/rules.md, which names each one's function and tests.

The records (who holds which role when, as recorded when) live in
``portal.RoleAssignment``; this module only asks them questions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.dates import oslo_date
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, RoleAssignment, RoleType, User
from portal.organisations import active_members, is_active_member

ORDERER_ROLE = {
    Area.PAYROLL: RoleType.PAYROLL_ORDERER,
    Area.ACCOUNTING: RoleType.ACCOUNTING_ORDERER,
}


def _held(
    user: User, organisation: Organisation, codes: tuple[str, ...], day: dt.date
) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.newest_versions()
        .held_on(day)
        .of_active_members()
        .filter(person=user, organisation=organisation, role__code__in=codes)
    )


def _holds(user: User, organisation: Organisation, codes: tuple[str, ...], day: dt.date) -> bool:
    return _held(user, organisation, codes, day).exists()


def _authorities_today(organisation: Organisation, codes: tuple[str, ...]) -> list[RoleAssignment]:
    """Who holds one of ``codes`` today and passes the gate: a role counts only while its
    holder is an active member (a former member's role is history, not authority)."""
    return list(
        RoleAssignment.objects.held_today()
        .of_active_members()
        .filter(organisation=organisation, role__code__in=codes)
        .select_related("person", "role")
        .order_by("role__position", "person__last_name", "person__first_name")
    )


def holds_today(user: User, organisation: Organisation, codes: tuple[str, ...]) -> bool:
    """Does ``user`` hold one of the roles ``codes`` in ``organisation`` today, as an
    active member (the gate)? For rules other modules write, e.g. ``access.integrations``."""
    return is_active_member(user, organisation) and _holds(user, organisation, codes, oslo_today())


def holders_today(organisation: Organisation, codes: tuple[str, ...]) -> list[RoleAssignment]:
    """Who holds one of ``codes`` in ``organisation`` today, active members only."""
    return _authorities_today(organisation, codes)


def payroll_control_applies(moment: dt.datetime | None = None) -> bool:
    """Rule 3: from 18.11.2022 (Oslo; the date is a setting) payroll orders need an orderer."""
    day = oslo_date(moment or timezone.now())
    return day >= settings.PAYROLL_ORDER_CONTROL_DATE


def may_order(
    user: User, organisation: Organisation, area: str, moment: dt.datetime | None = None
) -> bool:
    """Rule 3: may ``user`` submit an access order for ``area`` in ``organisation`` now?

    Payroll: before the control date any member; from it, only a holder of
    autorisert bestiller lønn. Accounting has always needed autorisert
    bestiller regnskap.
    """
    moment = moment or timezone.now()
    if not is_active_member(user, organisation):
        return False
    area = Area(area)
    if area == Area.PAYROLL and not payroll_control_applies(moment):
        return True
    return _holds(user, organisation, (ORDERER_ROLE[area],), oslo_date(moment))


def order_authority(
    user: User, organisation: Organisation, area: str, moment: dt.datetime
) -> RoleAssignment | None:
    """Rule 3's evidence for an order: the orderer role for ``area`` that ``user`` held in
    ``organisation`` at ``moment`` (what ``may_order`` found), or None if they held none
    (before the payroll control date none was needed: see ``payroll_control_applies``)."""
    if area not in ORDERER_ROLE:
        return None
    codes = (ORDERER_ROLE[Area(area)],)
    found = _held(user, organisation, codes, oslo_date(moment)).select_related("role", "person")
    return found.order_by("valid_from", "pk").first()


def may_appoint(
    user: User, organisation: Organisation, area: str, moment: dt.datetime | None = None
) -> bool:
    """Rule 5: a new orderer is reported by an orderer of that area or a fullmakt holder."""
    moment = moment or timezone.now()
    if not is_active_member(user, organisation):
        return False
    codes = (ORDERER_ROLE[Area(area)], RoleType.FULLMAKT)
    return _holds(user, organisation, codes, oslo_date(moment))


@dataclass(frozen=True)
class Appointing:
    """Rule 5 for one area of one organisation today: who may appoint, and whether anyone can.

    An appointment takes two people: an appointer (an active member who holds
    autorisert bestiller for the area or fullmakt) and another active member to
    appoint, since nobody appoints themselves. Where there is no such pair the
    organisation is stuck, and the way out is the fullmakt form.
    """

    area: Area
    appointers: list[RoleAssignment]
    someone_to_appoint: bool

    @property
    def fullmakt_form_needed(self) -> bool:
        return not self.someone_to_appoint

    @property
    def reason(self) -> str:
        """Why the form is needed: nobody holds an authority, or its holder is alone."""
        if not self.fullmakt_form_needed:
            return ""
        return "alone" if self.appointers else "nobody"

    def may_appoint(self, user: User) -> bool:
        return self.someone_to_appoint and any(a.person_id == user.pk for a in self.appointers)


def appointing(organisation: Organisation, area: str) -> Appointing:
    """Rule 5 today, in one place: the list of appointers and the fullmakt-form decision."""
    found = _authorities_today(organisation, (ORDERER_ROLE[Area(area)], RoleType.FULLMAKT))
    people = {a.person_id for a in found}
    if len(people) > 1:
        someone = True
    elif people:
        someone = active_members(organisation).exclude(pk__in=people).exists()
    else:
        someone = False
    return Appointing(Area(area), found, someone)


def appointers(organisation: Organisation, area: str) -> list[RoleAssignment]:
    """Who may appoint orderers for ``area`` today: its orderers and the fullmakt holders."""
    return appointing(organisation, area).appointers


def orderers(organisation: Organisation, area: str) -> list[RoleAssignment]:
    """The organisation's authorised orderers for ``area`` today (active members only)."""
    return _authorities_today(organisation, (ORDERER_ROLE[Area(area)],))


def nobody_can_appoint(organisation: Organisation, area: str) -> bool:
    """Rule 5's fallback applies: the fullmakt form, signed by the budget holder."""
    return appointing(organisation, area).fullmakt_form_needed


@dataclass(frozen=True)
class Why:
    """One link in the chain behind an authority, for "Why can this person order?"."""

    assignment: RoleAssignment
    text: str


def explain(assignment: RoleAssignment, depth: int = 0) -> list[Why]:
    """The chain behind an assignment, newest link first, ending where the chain ends."""
    from access.models import Appointment  # the appointment records live beside these rules

    role = assignment.role.name
    recorded = f"{timezone.localtime(assignment.recorded_at):%d.%m.%Y}"
    links: list[Why] = []
    if assignment.basis == RoleAssignment.Basis.GRANDFATHERING and assignment.derived_from:
        source = assignment.derived_from
        text = _(
            "%(role)s: carried over from fullmakt recorded %(recorded)s (valid from %(start)s)"
        )
        links.append(
            Why(
                assignment,
                text
                % {
                    "role": role,
                    "recorded": f"{timezone.localtime(source.recorded_at):%d.%m.%Y}",
                    "start": f"{source.valid_from:%d.%m.%Y}",
                },
            )
        )
        if depth < 5:
            links.extend(explain(source, depth + 1))
        return links
    if assignment.basis == RoleAssignment.Basis.APPOINTMENT:
        appointment = (
            Appointment.objects.filter(decision__resulting_assignment__lineage=assignment.lineage)
            .select_related("requested_by", "decision__decided_by", "case", "requester_assignment")
            .first()
        )
        if appointment is not None:
            text = _(
                "%(role)s: reported by %(requester)s in case %(number)s, "
                "approved by %(staff)s %(day)s"
            )
            links.append(
                Why(
                    assignment,
                    text
                    % {
                        "role": role,
                        "requester": appointment.requested_by,
                        "number": appointment.case.number,
                        "staff": appointment.decided_by,
                        "day": recorded,
                    },
                )
            )
            if appointment.requester_assignment is not None and depth < 5:
                links.extend(explain(appointment.requester_assignment, depth + 1))
            return links
    if assignment.basis == RoleAssignment.Basis.FULLMAKT_FORM:
        text = _("%(role)s: registered from a fullmakt form (%(evidence)s) %(day)s")
        links.append(
            Why(assignment, text % {"role": role, "evidence": assignment.evidence, "day": recorded})
        )
        return links
    basis = assignment.get_basis_display()
    evidence = f" ({assignment.evidence})" if assignment.evidence else ""
    text = _("%(role)s: %(basis)s%(evidence)s, recorded %(day)s")
    links.append(
        Why(
            assignment, text % {"role": role, "basis": basis, "evidence": evidence, "day": recorded}
        )
    )
    return links
