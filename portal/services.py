"""Writes to the role register and the memberships, each with its audit event in the
same transaction.

The register is append-only: assigning records a first version; ending or
retracting records a later version of the same lineage.

``do_assign_role``/``do_end_role`` are the register's own writes, called by the
services that decide on a basis (appointments, fullmakt forms, orders,
grandfathering). Staff in the admin write through ``do_register_role_by_staff``
and ``do_end_role_by_staff``, which ask what staff may do: basis "staff" only,
contact-person groupings only (authorities come from their decisions, access
from orders), their own team's areas, never their own roles, always a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import (
    ApiClient,
    AuditEvent,
    Membership,
    Organisation,
    RoleAssignment,
    RoleType,
    User,
)
from portal.organisations import is_active_member
from portal.teams import works_area

# What staff may register themselves; every other kind has its own way in.
STAFF_REGISTERED_KINDS = (RoleType.Kind.CONTACT,)


class Refused(Exception):
    """A write that breaks a rule. ``reason`` says which, in the reader's language; the
    services of every layer raise it (or a subclass), and nothing is stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def write_audit(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    basis: str = "",
    api_client: ApiClient | None = None,
) -> AuditEvent:
    """One audit event; callers are inside the transaction of the change they describe.
    A write through the API names the organisation's system that made it (``api_client``)."""
    return AuditEvent.objects.create(
        actor=actor,
        api_client=api_client,
        organisation=organisation,
        action=action,
        summary=summary[:300],
        before=before,
        after=after,
        basis=basis[:300],
    )


def assignment_facts(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "assignment": assignment.pk,
        "lineage": str(assignment.lineage),
        "person": assignment.person.username,
        "role": assignment.role.code,
        "valid_from": assignment.valid_from.isoformat(),
        "valid_to": assignment.valid_to.isoformat() if assignment.valid_to else None,
        "retracted": assignment.retracted,
        "basis": assignment.basis,
        "evidence": assignment.evidence,
        "derived_from": (
            {
                "assignment": assignment.derived_from.pk,
                "lineage": str(assignment.derived_from.lineage),
                "recorded_at": assignment.derived_from.recorded_at.isoformat(),
            }
            if assignment.derived_from is not None
            else None
        ),
    }


@transaction.atomic
def do_assign_role(
    *,
    actor: User | None,
    person: User,
    organisation: Organisation,
    role: RoleType,
    valid_from: dt.date,
    basis: RoleAssignment.Basis,
    valid_to: dt.date | None = None,
    evidence: str = "",
    derived_from: RoleAssignment | None = None,
    recorded_at: dt.datetime | None = None,
) -> RoleAssignment:
    assignment = RoleAssignment.objects.create(
        person=person,
        organisation=organisation,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor,
        basis=basis,
        evidence=evidence,
        derived_from=derived_from,
    )
    write_audit(
        actor=actor,
        organisation=organisation,
        action="role.assigned",
        summary=f"{role.name_nb}: {person} fra {valid_from:%d.%m.%Y}",
        after=assignment_facts(assignment),
        basis=f"{assignment.get_basis_display()} {evidence}".strip(),
    )
    return assignment


@transaction.atomic
def do_end_role(
    *,
    actor: User | None,
    assignment: RoleAssignment,
    valid_to: dt.date,
    basis: RoleAssignment.Basis,
    evidence: str = "",
) -> RoleAssignment:
    """Record that ``assignment`` holds through ``valid_to`` (a new version; nothing is changed)."""
    return _new_version(
        actor=actor,
        assignment=assignment,
        changes={"valid_to": max(valid_to, assignment.valid_from)},
        action="role.ended",
        basis=basis,
        evidence=evidence,
    )


@transaction.atomic
def do_retract_role(
    *, actor: User, assignment: RoleAssignment, evidence: str = ""
) -> RoleAssignment:
    """Record that ``assignment`` was registered by mistake and never held."""
    return _new_version(
        actor=actor,
        assignment=assignment,
        changes={"retracted": True},
        action="role.retracted",
        basis=RoleAssignment.Basis.STAFF,
        evidence=evidence,
    )


def _new_version(
    *,
    actor: User | None,
    assignment: RoleAssignment,
    changes: dict[str, Any],
    action: str,
    basis: RoleAssignment.Basis,
    evidence: str,
) -> RoleAssignment:
    # One change to a person's roles at a time, so two cannot both supersede the
    # same version. The lock is on the person: versions are append-only, and
    # the app's database role may not lock their rows (FOR UPDATE needs UPDATE).
    User.objects.select_for_update().get(pk=assignment.person_id)
    current = RoleAssignment.objects.latest_version_of(assignment)
    version = RoleAssignment.objects.create(
        lineage=current.lineage,
        person=current.person,
        organisation=current.organisation,
        role=current.role,
        valid_from=current.valid_from,
        valid_to=changes.get("valid_to", current.valid_to),
        retracted=changes.get("retracted", current.retracted),
        recorded_by=actor,
        basis=basis,
        evidence=evidence,
        derived_from=current.derived_from,
        supersedes=current,
    )
    write_audit(
        actor=actor,
        organisation=current.organisation,
        action=action,
        summary=f"{current.role.name_nb}: {current.person}",
        before=assignment_facts(current),
        after=assignment_facts(version),
        basis=f"{version.get_basis_display()} {evidence}".strip(),
    )
    return version


def _check_staff_register(actor: User, person: User, role: RoleType, reason: str) -> None:
    if not (actor.is_staff and actor.is_active):
        raise Refused(_("Only the customer centre's staff register roles here."))
    if role.kind not in STAFF_REGISTERED_KINDS or role.code in RoleType.NAMED_BY_RULES:
        raise Refused(
            _(
                "Staff register contact persons only. %(role)s is given by an appointment, "
                "a verified fullmakt form or an access order."
            )
            % {"role": role.name}
        )
    if not works_area(actor, role.area):
        raise Refused(_("%(role)s belongs to another team's area.") % {"role": role.name})
    if person.pk == actor.pk:
        raise Refused(_("You cannot register or end your own roles."))
    if not reason.strip():
        raise Refused(_("Give a reason: it is kept in the audit trail."))


def check_staff_registration(
    *,
    actor: User,
    person: User,
    organisation: Organisation,
    role: RoleType,
    valid_from: dt.date,
    valid_to: dt.date | None,
    reason: str,
) -> None:
    """What ``do_register_role_by_staff`` asks, for a form to ask before it is sent."""
    _check_staff_register(actor, person, role, reason)
    if not is_active_member(person, organisation):
        raise Refused(_("The person must be a member of the organisation."))
    if valid_to is not None and valid_to < valid_from:
        raise Refused(_("The last day cannot be before the first day."))


@transaction.atomic
def do_register_role_by_staff(
    *,
    actor: User,
    person: User,
    organisation: Organisation,
    role: RoleType,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    reason: str,
) -> RoleAssignment:
    """Staff record a contact-person role, on the basis "registered by staff"."""
    check_staff_registration(
        actor=actor,
        person=person,
        organisation=organisation,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        reason=reason,
    )
    return do_assign_role(
        actor=actor,
        person=person,
        organisation=organisation,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        basis=RoleAssignment.Basis.STAFF,
        evidence=reason.strip(),
    )


@transaction.atomic
def do_end_role_by_staff(
    *, actor: User, assignment: RoleAssignment, valid_to: dt.date, reason: str
) -> RoleAssignment:
    """Staff record the last day of a contact-person role (a new version; nothing is changed)."""
    # The register's rows cannot be locked (the app may not UPDATE them): lock the person,
    # as every new version of their roles does (_new_version).
    User.objects.select_for_update().get(pk=assignment.person_id)
    current = RoleAssignment.objects.latest_version_of(assignment)
    _check_staff_register(actor, current.person, current.role, reason)
    if current.retracted or (current.valid_to is not None and current.valid_to <= valid_to):
        raise Refused(_("The role has already ended by that day."))
    if valid_to < current.valid_from:
        raise Refused(_("The last day cannot be before the first day."))
    return do_end_role(
        actor=actor,
        assignment=current,
        valid_to=valid_to,
        basis=RoleAssignment.Basis.STAFF,
        evidence=reason.strip(),
    )


def check_membership_addition(*, actor: User, person: User, organisation: Organisation) -> None:
    """What ``do_add_membership`` asks, for a form to ask before it is sent."""
    _check_staff_membership(actor, person, organisation)
    if Membership.objects.filter(user=person, organisation=organisation).exists():
        raise Refused(_("%(person)s is already a member.") % {"person": person})


def _check_staff_membership(actor: User, person: User, organisation: Organisation) -> None:
    if not (actor.is_staff and actor.is_active):
        raise Refused(_("Only the customer centre's staff change memberships."))
    if not any(works_area(actor, area) for area in organisation.areas):
        raise Refused(_("%(name)s is not a customer of your team.") % {"name": organisation})
    if person.pk == actor.pk:
        raise Refused(_("You cannot change your own memberships."))


def _membership_facts(membership: Membership) -> dict[str, Any]:
    return {"person": membership.user.username, "organisation": membership.organisation.slug}


@transaction.atomic
def do_add_membership(
    *, actor: User, person: User, organisation: Organisation, reason: str = ""
) -> Membership:
    """Staff register a person as a member of an organisation."""
    check_membership_addition(actor=actor, person=person, organisation=organisation)
    membership, created = Membership.objects.get_or_create(user=person, organisation=organisation)
    if not created:
        raise Refused(_("%(person)s is already a member.") % {"person": person})
    write_audit(
        actor=actor,
        organisation=organisation,
        action="membership.added",
        summary=f"{person} er medlem av {organisation}",
        after=_membership_facts(membership),
        basis=reason.strip(),
    )
    return membership


@transaction.atomic
def do_end_membership(*, actor: User, membership: Membership, reason: str = "") -> None:
    """The person leaves the organisation. Their roles stay in the register as history,
    and count for nothing from now on (the gate)."""
    _check_staff_membership(actor, membership.user, membership.organisation)
    write_audit(
        actor=actor,
        organisation=membership.organisation,
        action="membership.ended",
        summary=f"{membership.user} er ikke lenger medlem av {membership.organisation}",
        before=_membership_facts(membership),
        basis=reason.strip(),
    )
    membership.delete()


def _changes(instance: models.Model, changed: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of ``changed`` before (as stored) and after (on ``instance``), for audit."""
    stored = type(instance)._default_manager.filter(pk=instance.pk).values(*changed).first() or {}
    after = {name: getattr(instance, name) for name in changed}
    return (
        {k: _jsonable(v) for k, v in stored.items()},
        {k: _jsonable(v) for k, v in after.items()},
    )


def _field_names(model: type[models.Model], names: list[str]) -> str:
    """The changed fields by their names in Bokmål, as the rest of a summary (stored text,
    so in one language), not by their codes ("is_active")."""
    with translation.override("nb"):
        shown = []
        for name in names:
            try:
                shown.append(str(model._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
            except FieldDoesNotExist:
                shown.append(name)
    return ", ".join(shown) or "-"


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else str(value)


@transaction.atomic
def do_update_organisation(
    *, actor: User, organisation: Organisation, changed: list[str]
) -> Organisation:
    """Staff change an organisation's details; deactivating one shuts its members out (the
    gate), so every change is in the audit trail."""
    if not actor.is_staff:
        raise Refused(_("Only the customer centre's staff change organisations."))
    adding = organisation._state.adding
    fields = [name for name in changed if name != "id"]
    before, after = ({}, {}) if adding else _changes(organisation, fields)
    organisation.save()
    write_audit(
        actor=actor,
        organisation=organisation,
        action="organisation.added" if adding else "organisation.changed",
        summary=f"{organisation}: {_field_names(Organisation, fields)}",
        before=before or None,
        after=after or {"name": organisation.name, "org_number": organisation.org_number},
    )
    return organisation


# Fields of a user whose changes are kept in the audit trail (never the password hash).
AUDITED_USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "oidc_sub",
)


@transaction.atomic
def do_update_user(*, actor: User, user: User, changed: list[str]) -> User:
    """Staff change a person's account. Who may log in, and with what powers, is authority:
    nobody changes their own powers, and every change is in the audit trail."""
    if not actor.is_staff:
        raise Refused(_("Only the customer centre's staff change accounts."))
    powers = {"is_active", "is_staff", "is_superuser", "groups", "user_permissions"}
    if user.pk == actor.pk and powers & set(changed):
        raise Refused(_("You cannot change your own access."))
    adding = user._state.adding
    audited = [name for name in changed if name in AUDITED_USER_FIELDS]
    before, after = ({}, {}) if adding else _changes(user, audited)
    user.save()
    write_audit(
        actor=actor,
        organisation=None,
        action="user.added" if adding else "user.changed",
        summary=f"{user.username}: {_field_names(User, changed)}",
        before=before or None,
        after=after or {"username": user.username},
    )
    return user
