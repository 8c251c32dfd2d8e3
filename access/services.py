"""Appointing and removing authorised orderers (rule 5), each step in one transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from access.models import Appointment, AppointmentDecision
from access.rules import ORDERER_ROLE, may_appoint, orderers
from cases.models import Case, SubjectArea
from cases.services import do_add_message, do_change_status, do_create_case, in_each_language
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, RoleAssignment, RoleType, User
from portal.organisations import is_active_member
from portal.services import Refused, assignment_facts, do_assign_role, do_end_role, write_audit
from portal.teams import works_area


class AppointmentRefused(Refused):
    """The request or decision breaks a rule; ``reason`` says which, for the user."""


def access_subject_area(area: str, *, or_first: bool = True) -> SubjectArea | None:
    """The subject area "Tilganger og roller" of the area, which staff watch for cases
    about roles and access; failing that (``or_first``) the area's first subject area."""
    areas = SubjectArea.objects.filter(category=area).order_by("position")
    subject = areas.filter(name_nb__startswith="Tilganger og roller").first()
    if subject is None and or_first:
        subject = areas.first()
    return subject


def _access_subject_area(area: str) -> SubjectArea:
    subject = access_subject_area(area)
    if subject is None:
        raise AppointmentRefused(_("The customer centre has no subject areas set up yet."))
    return subject


def _authority_of(user: User, organisation: Organisation, area: str) -> RoleAssignment | None:
    codes = (ORDERER_ROLE[Area(area)], RoleType.FULLMAKT)
    return (
        RoleAssignment.objects.held_today()
        .filter(person=user, organisation=organisation, role__code__in=codes)
        .order_by("role__position")
        .first()
    )


def is_last_orderer(appointment_person: User, organisation: Organisation, area: str) -> bool:
    holders = orderers(organisation, area)
    return len(holders) == 1 and holders[0].person_id == appointment_person.pk


def do_request_appointment(
    *,
    actor: User,
    organisation: Organisation,
    area: str,
    action: Appointment.Action,
    person: User,
    valid_from: dt.date,
    comment: str = "",
) -> Appointment:
    """Rule 5 at the moment of asking; the request becomes a case for the area's team."""
    if not may_appoint(actor, organisation, area):
        raise AppointmentRefused(
            _("Only an authorised orderer for this area or a fullmakt holder can do this.")
        )
    if person == actor:
        raise AppointmentRefused(_("You cannot appoint or remove yourself."))
    if not is_active_member(person, organisation):
        raise AppointmentRefused(_("The person must be a member of the organisation."))
    role = RoleType.objects.get(code=ORDERER_ROLE[Area(area)])
    holds = (
        RoleAssignment.objects.held_today()
        .filter(person=person, organisation=organisation, role=role)
        .exists()
    )
    if action == Appointment.Action.APPOINT and holds:
        raise AppointmentRefused(
            _("%(person)s is already %(role)s.") % {"person": person, "role": role.name}
        )
    if action == Appointment.Action.REMOVE and not holds:
        raise AppointmentRefused(
            _("%(person)s is not %(role)s.") % {"person": person, "role": role.name}
        )
    appointing = action == Appointment.Action.APPOINT
    title = in_each_language(
        lambda: (
            (_("Appoint %(role)s: %(person)s") if appointing else _("Remove %(role)s: %(person)s"))
            % {"role": role.name.lower(), "person": person}
        )
    )
    description = in_each_language(
        lambda: "\n".join(
            line
            for line in [
                f"{_('Appoint') if appointing else _('Remove')}: {person} ({person.email})",
                f"{_('Role')}: {role.name}",
                f"{_('From') if appointing else _('Last day')}: {valid_from:%d.%m.%Y}",
                f"{_('Requested by')}: {actor}",
                comment,
            ]
            if line
        )
    )
    with transaction.atomic():
        case = do_create_case(
            actor=actor,
            organisation=organisation,
            subject_area=_access_subject_area(area),
            title=title,
            description=description,
        )
        appointment = Appointment.objects.create(
            case=case,
            organisation=organisation,
            area=area,
            action=action,
            person=person,
            valid_from=valid_from,
            comment=comment,
            requested_by=actor,
            requester_assignment=_authority_of(actor, organisation, area),
        )
        write_audit(
            actor=actor,
            organisation=organisation,
            action=f"appointment.requested.{action}",
            summary=f"{title.nb} (sak {case.number})",
            after={
                "appointment": appointment.pk,
                "person": person.username,
                "role": role.code,
                "date": valid_from.isoformat(),
                "case": case.number,
            },
            basis=_authority_basis(appointment),
        )
    return appointment


def _authority_basis(appointment: Appointment) -> str:
    held = appointment.requester_assignment
    return f"{held.role.name_nb} ({held.get_basis_display()})" if held else ""


def _check_decider(actor: User, appointment: Appointment) -> None:
    if appointment.decided is not None:
        raise AppointmentRefused(_("This request has already been decided."))
    if actor in (appointment.requested_by, appointment.person):
        raise AppointmentRefused(_("You cannot decide a request you made or that concerns you."))


def decision_refusal(actor: User, appointment: Appointment) -> str | None:
    """Why ``actor`` may not decide ``appointment`` now, or None: the checks of
    ``do_decide_appointment`` about who decides, asked before the decision is made."""
    if not works_area(actor, appointment.area):
        return _("Only the area's team at the customer centre decides this.")
    try:
        _check_decider(actor, appointment)
    except AppointmentRefused as refusal:
        return refusal.reason
    return None


def do_decide_appointment(
    *, actor: User, appointment: Appointment, approve: bool, reason: str
) -> Appointment:
    """Staff approve or reject. The requester's authority is checked again now."""
    if not works_area(actor, appointment.area):
        raise AppointmentRefused(_("Only the area's team at the customer centre decides this."))
    if not reason.strip():
        raise AppointmentRefused(_("Give a reason for the decision."))
    with transaction.atomic():
        # Requests and decisions are append-only rows, which cannot be locked: the
        # request's case is, so two staff members deciding at once take turns.
        Case.objects.select_for_update().get(pk=appointment.case_id)
        locked = Appointment.objects.select_related("case", "organisation").get(pk=appointment.pk)
        _check_decider(actor, locked)
        if approve and not may_appoint(locked.requested_by, locked.organisation, locked.area):
            raise AppointmentRefused(
                _("%(person)s no longer holds an authority that allows this request; reject it.")
                % {"person": locked.requested_by}
            )
        role = RoleType.objects.get(code=ORDERER_ROLE[Area(locked.area)])
        resulting: RoleAssignment | None = None
        if approve and locked.action == Appointment.Action.APPOINT:
            resulting = do_assign_role(
                actor=actor,
                person=locked.person,
                organisation=locked.organisation,
                role=role,
                valid_from=max(locked.valid_from, oslo_today()),
                basis=RoleAssignment.Basis.APPOINTMENT,
                evidence=f"Sak {locked.case.number}",
            )
        elif approve:
            held = (
                RoleAssignment.objects.held_today()
                .filter(person=locked.person, organisation=locked.organisation, role=role)
                .first()
            )
            if held is None:
                raise AppointmentRefused(
                    _("%(person)s no longer holds the role.") % {"person": locked.person}
                )
            resulting = do_end_role(
                actor=actor,
                assignment=held,
                valid_to=locked.valid_from,
                basis=RoleAssignment.Basis.APPOINTMENT,
                evidence=f"Sak {locked.case.number}",
            )
        locked.decision = AppointmentDecision.objects.create(
            appointment=locked,
            approved=approve,
            decided_by=actor,
            reason=reason.strip(),
            resulting_assignment=resulting,
        )
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action=f"appointment.{locked.state}",
            summary=f"{locked} (sak {locked.case.number})",
            before={"state": Appointment.State.PENDING},
            after={
                "state": locked.state,
                "reason": locked.decision_reason,
                "assignment": assignment_facts(resulting) if resulting else None,
            },
            basis=_authority_basis(locked),
        )
        reason = locked.decision_reason
        do_add_message(
            actor=actor,
            case=locked.case,
            body=in_each_language(
                lambda: (
                    _("The request is %(verdict)s. %(reason)s")
                    % {"verdict": _("approved") if approve else _("rejected"), "reason": reason}
                )
            ),
        )
        do_change_status(actor=actor, case=locked.case, status=Case.Status.CLOSED)
    return locked
