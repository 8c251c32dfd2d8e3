"""Writes to the role register, each with its audit event in the same transaction.

The register is append-only: assigning records a first version; ending or
retracting records a later version of the same lineage.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.models import AuditEvent, Organisation, RoleAssignment, RoleType, User


def write_audit(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    basis: str = "",
) -> AuditEvent:
    """One audit event; callers are inside the transaction of the change they describe."""
    return AuditEvent.objects.create(
        actor=actor,
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
