"""Ordering roles and access (rule 3), and staff fulfilling the orders line by line."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.models import (
    AccessGrant,
    LineFields,
    Order,
    OrderLine,
    OrderLineDecision,
    SystemRole,
)
from access.rules import may_order
from access.services import access_subject_area
from cases.models import Case
from cases.services import do_add_message, do_change_status, do_create_case, in_each_language
from portal.dates import today as oslo_today
from portal.models import Organisation, RoleAssignment, User
from portal.organisations import is_active_member
from portal.services import Refused, do_assign_role, do_end_role, write_audit
from portal.teams import works_area


class OrderRefused(Refused):
    """The order or a decision on it breaks a rule; ``reason`` says which."""


class DuplicateOrder(Exception):
    def __init__(self, order: Order) -> None:
        super().__init__("duplicate order")
        self.order = order


@dataclass(frozen=True)
class LineInput:
    system_role: SystemRole
    action: str  # OrderLine.Action
    valid_from: dt.date
    person: User | None = None
    new_person_name: str = ""
    new_person_email: str = ""
    employee_number: str = ""

    @property
    def label(self) -> str:
        return str(self.person) if self.person else self.new_person_name

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> LineInput:
        """A line as an order line's form cleaned it (the order page's, a draft's)."""
        return cls(
            system_role=data["system_role"],
            action=data["action"],
            valid_from=data["valid_from"],
            person=data.get("person"),
            new_person_name=data.get("new_person_name", ""),
            new_person_email=data.get("new_person_email", ""),
            employee_number=data.get("employee_number", ""),
        )

    @classmethod
    def of(cls, line: LineFields) -> LineInput:
        """A line already recorded (an order's, a draft's), as the rules read a new one."""
        return cls(**{name: getattr(line, name) for name in LINE_FIELDS})

    def as_fields(self) -> dict[str, Any]:
        """The line as the fields an order's or a draft's line row stores it in."""
        return {name: getattr(self, name) for name in LINE_FIELDS}


# An order line's fields: LineInput's, and models.LineFields' of OrderLine and OrderDraftLine.
LINE_FIELDS = tuple(field.name for field in fields(LineInput))


def refusal_reason(user: User, organisation: Organisation, areas: set[str]) -> str | None:
    """Why ``user`` may not order for one of ``areas`` now (rule 3), or None if they may."""
    for area in sorted(areas):
        if not may_order(user, organisation, area):
            if area == "lonn":
                return _(
                    "Only an authorised payroll orderer (autorisert bestiller lønn) in the "
                    "organisation may order payroll access."
                )
            return _(
                "Only an authorised accounting orderer (autorisert bestiller regnskap) in the "
                "organisation may order accounting access."
            )
    return None


def why_none_may_be_ordered(user: User, organisation: Organisation, areas: set[str]) -> str | None:
    """Why ``user`` may order in none of ``areas`` that ``organisation`` buys, or None.

    A block of roles that belong to several areas (extended access in the customer
    centre) is open to an orderer of any of them, so its reason names the areas the
    organisation buys, not the first one alphabetically.
    """
    bought = {area for area in areas if area in organisation.areas}
    if any(may_order(user, organisation, area) for area in bought):
        return None
    if bought == {"lonn"}:
        return _(
            "Only an authorised payroll orderer (autorisert bestiller lønn) in the "
            "organisation may order this."
        )
    if bought == {"regnskap"}:
        return _(
            "Only an authorised accounting orderer (autorisert bestiller regnskap) in the "
            "organisation may order this."
        )
    return _(
        "Only an authorised payroll orderer (autorisert bestiller lønn) or an authorised "
        "accounting orderer (autorisert bestiller regnskap) in the organisation may order this."
    )


def holds_on_line_date(organisation: Organisation, line: LineInput) -> bool:
    """Whether the person holds the line's role when the line would take effect (review flags)."""
    role = line.system_role
    day = max(line.valid_from, oslo_today())
    if role.register_role is not None:
        if line.person is None:
            return False
        return (
            RoleAssignment.objects.newest_versions()
            .held_on(day)
            .filter(person=line.person, organisation=organisation, role=role.register_role)
            .exists()
        )
    grants = (
        AccessGrant.objects.newest_versions()
        .held_on(day)
        .filter(organisation=organisation, system_role=role)
    )
    if line.person is not None:
        return grants.filter(person=line.person).exists()
    return grants.filter(person_email__iexact=line.new_person_email).exists()


def review_flags(organisation: Organisation, lines: list[LineInput]) -> list[str | None]:
    flags: list[str | None] = []
    for line in lines:
        holds = holds_on_line_date(organisation, line)
        if line.action == OrderLine.Action.GRANT and holds:
            flags.append(_("%(person)s already has this role.") % {"person": line.label})
        elif line.action == OrderLine.Action.REMOVE and not holds:
            flags.append(_("%(person)s does not have this role.") % {"person": line.label})
        else:
            flags.append(None)
    return flags


def do_submit_order(
    *,
    actor: User,
    organisation: Organisation,
    area: str,
    lines: list[LineInput],
    comment: str = "",
    submission_key: uuid.UUID | None = None,
) -> Order:
    """Rule 3 checked again, on the server, at the moment of submission; then one case."""
    if not lines:
        raise OrderRefused(_("Add at least one line."))
    if submission_key is not None:
        existing = Order.objects.filter(ordered_by=actor, submission_key=submission_key).first()
        if existing is not None:
            raise DuplicateOrder(existing)
    areas = {line.system_role.ordering_area for line in lines}
    reason = refusal_reason(actor, organisation, areas)
    if reason:
        raise OrderRefused(reason)
    category = sorted(areas)[0]
    count = len(lines)
    title = in_each_language(
        lambda: (
            ngettext("Order of access: %(count)s line", "Order of access: %(count)s lines", count)
            % {"count": number_format(count, force_grouping=True)}
        )
    )
    description = in_each_language(
        lambda: "\n\n".join(
            [
                "\n".join(
                    f"{OrderLine.Action(line.action).label}: {line.system_role} – {line.label}"
                    f" {_('from')} {line.valid_from:%d.%m.%Y}"
                    for line in lines
                ),
                comment,
            ]
        ).strip()
    )
    subject = access_subject_area(category)
    if subject is None:
        raise OrderRefused(_("The customer centre has no subject areas set up yet."))
    try:
        with transaction.atomic():
            case = do_create_case(
                actor=actor,
                organisation=organisation,
                subject_area=subject,
                title=title,
                description=description,
            )
            order = Order.objects.create(
                case=case,
                organisation=organisation,
                area=area,
                ordered_by=actor,
                comment=comment,
                submission_key=submission_key,
            )
            for line in lines:
                OrderLine.objects.create(order=order, **line.as_fields())
            write_audit(
                actor=actor,
                organisation=organisation,
                action="order.submitted",
                summary=f"{title.nb} (sak {case.number})",
                after={
                    "order": order.pk,
                    "case": case.number,
                    "lines": [
                        {
                            "role": f"{line.system_role.system.code}/{line.system_role.code}",
                            "action": line.action,
                            "person": line.person.username
                            if line.person
                            else line.new_person_email,
                            "from": line.valid_from.isoformat(),
                        }
                        for line in lines
                    ],
                },
                basis=_("Ordered by %(person)s") % {"person": actor},
            )
    except IntegrityError:
        if submission_key is not None:
            existing = Order.objects.filter(ordered_by=actor, submission_key=submission_key).first()
            if existing is not None:
                raise DuplicateOrder(existing) from None
        raise
    return order


def may_fulfil(actor: User, line: OrderLine) -> bool:
    """Is ``line`` for ``actor``'s team to decide? The team of its system's area does
    (the customer centre's own roles, either team); the desk offers only those."""
    return works_area(actor, line.system_role.ordering_area)


def do_fulfil_line(*, actor: User, line: OrderLine, done: bool, reason: str = "") -> OrderLine:
    """Staff mark a line done (the grant is made or ended) or rejected (with a reason)."""
    if not may_fulfil(actor, line):
        raise OrderRefused(_("Only the area's team at the customer centre fulfils this line."))
    if not done and not reason.strip():
        raise OrderRefused(_("Give a reason for rejecting the line."))
    with transaction.atomic():
        # Orders, lines and decisions are append-only rows, which cannot be locked: the
        # order's case is, so two staff members deciding lines at once take turns.
        Case.objects.select_for_update(of=("self",)).get(order__lines=line.pk)
        locked = OrderLine.objects.select_related("order__case", "order__organisation").get(
            pk=line.pk
        )
        if locked.decided is not None:
            raise OrderRefused(_("This line has already been handled."))
        order = locked.order
        if done:
            _carry_out(actor, locked)
        locked.decision = OrderLineDecision.objects.create(
            line=locked, done=done, reason=reason.strip(), decided_by=actor
        )
        write_audit(
            actor=actor,
            organisation=order.organisation,
            action=f"order.line.{locked.state}",
            summary=f"{locked} (sak {order.case.number})",
            before={"state": OrderLine.State.PENDING},
            after={"state": locked.state, "reason": locked.reason},
            basis=f"Sak {order.case.number}",
        )
        # The last line decided closes the order's case, by its team: a case of an order
        # with lines of both areas belongs to the first area's team, and when the other
        # team decides the last line, the case waits in its own team's queue to be closed.
        if not order.lines.filter(decision__isnull=True).exists() and works_area(
            actor, order.case.category
        ):
            body = in_each_language(
                lambda: _("The order is processed. See the state of each line above.")
            )
            do_add_message(actor=actor, case=order.case, body=body)
            do_change_status(actor=actor, case=order.case, status=Case.Status.CLOSED)
    return locked


def _carry_out(actor: User, line: OrderLine) -> None:
    order = line.order
    role = line.system_role
    evidence = f"Sak {order.case.number}"
    # What holds on the day the line takes effect (today at the earliest).
    day = max(line.valid_from, oslo_today())
    if line.person is not None and line.person.pk == actor.pk:
        raise OrderRefused(_("You cannot carry out an order about yourself."))
    if role.register_role is not None:
        if line.person is None or not is_active_member(line.person, order.organisation):
            raise OrderRefused(
                _("Extended access can only be given to a member of the organisation.")
            )
        held = (
            RoleAssignment.objects.newest_versions()
            .held_on(day)
            .filter(person=line.person, organisation=order.organisation, role=role.register_role)
            .first()
        )
        if line.action == OrderLine.Action.GRANT:
            if held is None:
                do_assign_role(
                    actor=actor,
                    person=line.person,
                    organisation=order.organisation,
                    role=role.register_role,
                    valid_from=max(line.valid_from, oslo_today()),
                    basis=RoleAssignment.Basis.ORDER,
                    evidence=evidence,
                )
        elif held is not None:
            do_end_role(
                actor=actor,
                assignment=held,
                valid_to=max(line.valid_from - dt.timedelta(days=1), held.valid_from),
                basis=RoleAssignment.Basis.ORDER,
                evidence=evidence,
            )
        return
    grants = (
        AccessGrant.objects.newest_versions()
        .held_on(day)
        .filter(organisation=order.organisation, system_role=role)
    )
    grants = (
        grants.filter(person=line.person)
        if line.person
        else grants.filter(person_email__iexact=line.new_person_email)
    )
    current = grants.first()
    if line.action == OrderLine.Action.GRANT:
        if current is None:
            AccessGrant.objects.create(
                organisation=order.organisation,
                person=line.person,
                person_name=str(line.person) if line.person else line.new_person_name,
                person_email=line.person.email if line.person else line.new_person_email,
                employee_number=line.employee_number,
                system_role=role,
                valid_from=line.valid_from,
                recorded_by=actor,
                order_line=line,
            )
        return
    if current is not None:
        AccessGrant.objects.create(
            lineage=current.lineage,
            organisation=current.organisation,
            person=current.person,
            person_name=current.person_name,
            person_email=current.person_email,
            employee_number=current.employee_number,
            system_role=role,
            valid_from=current.valid_from,
            # Removed from the line's date: the last day held is the day before.
            valid_to=max(line.valid_from - dt.timedelta(days=1), current.valid_from),
            recorded_by=actor,
            order_line=line,
            supersedes=current,
        )
