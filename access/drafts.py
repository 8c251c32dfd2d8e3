"""Access orders drafted by an organisation's systems (issue 17), and what becomes of them.

A system (an ``ApiClient`` whose registration allows ``DRAFT_ORDERS``) never
orders: it drafts (``do_draft_order``). An authorised orderer sees the waiting
drafts on the order page (``waiting_drafts_for``), opens one in the order form,
and submits it through the same form and the same ``do_submit_order`` as any
order (``do_submit_draft``), where rule 3 is asked with the person as the one
who orders; or discards it (``do_discard_draft``). A machine never passes rule 3.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.forms import MAX_ORDER_LINES, OrderLineForm
from access.models import Order, OrderDraft, OrderDraftLine, OrderLine, System, SystemRole
from access.ordering import DuplicateOrder, LineInput, OrderRefused, do_submit_order, refusal_reason
from portal.dates import shown_moment
from portal.models import ApiClient, Organisation, User
from portal.organisations import active_members, client_in_force
from portal.services import Refused, write_audit

MAX_COMMENT_LENGTH = 2000  # as the order form's comment


@dataclass(frozen=True)
class DraftLineInput:
    """One line of a draft as a system sends it: plain strings and dates, no database rows.

    - ``system_role``: ``"<system code>/<role code>"`` from the catalogue, e.g.
      ``"lonnssystem/lonnsmedarbeider"``; a role of the draft's area, active.
    - ``action``: ``"grant"`` or ``"remove"`` (``OrderLine.Action``).
    - ``valid_from``: a date, or text ``YYYY-MM-DD`` (or ``dd.mm.yyyy``); not in the past.
    - Who: either ``person_email``, the e-mail of an existing member of the organisation
      as the portal has it, or a new person's ``new_person_name``, ``new_person_email``
      and ``employee_number`` (all three). Extended access (the customer centre's own
      roles) is for members only.
    """

    system_role: str
    action: str
    valid_from: dt.date | str
    person_email: str = ""
    new_person_name: str = ""
    new_person_email: str = ""
    employee_number: str = ""


@dataclass(frozen=True)
class LineProblem:
    """Why one line cannot be drafted: ``line`` counts from 1, ``field`` names the
    ``DraftLineInput`` field at fault ("" for the line as a whole). Line 0 is the draft
    itself (its ``comment``)."""

    line: int
    field: str
    message: str


class DraftRefused(Refused):
    """The draft breaks a rule (``reason``); ``problems`` lists each bad line's reasons."""

    def __init__(self, reason: str, problems: Sequence[LineProblem] = ()) -> None:
        super().__init__(reason)
        self.problems = list(problems)


class DuplicateDraft(Exception):
    """The same system sent the same ``submission_key`` again: here is the draft it made."""

    def __init__(self, draft: OrderDraft) -> None:
        super().__init__("duplicate draft")
        self.draft = draft


class DraftEnded(OrderRefused):
    """The draft was submitted or discarded already; ``reason`` says by whom and when."""


# A line's fields of free text.
TEXT_FIELDS = (
    "system_role",
    "action",
    "person_email",
    "new_person_name",
    "new_person_email",
    "employee_number",
)

# The form's field names, as the API's line names them.
_FIELD_NAMES = {"person": "person_email", "__all__": ""}


def offered_areas(organisation: Organisation) -> list[str]:
    """The order page's areas for ``organisation``: those it buys, and the customer centre."""
    areas = [System.Area.CUSTOMER_CENTRE.value]
    if organisation.buys_accounting:
        areas.insert(0, System.Area.ACCOUNTING.value)
    if organisation.buys_payroll:
        areas.insert(0, System.Area.PAYROLL.value)
    return areas


def area_roles(area: str) -> QuerySet[SystemRole]:
    """The roles a line of ``area`` may name: the area's active roles of active systems."""
    return SystemRole.objects.filter(
        is_active=True, system__is_active=True, system__area=area
    ).select_related("system", "register_role")


def do_draft_order(
    *,
    actor: ApiClient,
    organisation: Organisation,
    area: str,
    lines: Sequence[DraftLineInput],
    comment: str = "",
    submission_key: uuid.UUID | None = None,
) -> OrderDraft:
    """A system drafts an access order for an orderer of ``organisation`` to submit.

    ``actor`` must be registered for ``organisation`` and in force now
    (``client_in_force``) and allowed ``ApiClient.Permission.DRAFT_ORDERS``; ``area``
    is ``"lonn"``, ``"regnskap"`` or ``"kundesenter"`` and, for the first two, one the
    organisation buys. Each line is checked as the order form checks it (the role is
    one of the area's active roles, the person a member, the date not in the past,
    a new person named with e-mail and employee number), plus: a role of an area the
    organisation buys. At most ``MAX_ORDER_LINES`` lines; a comment of at most 2000
    characters.

    Rule 3 is not asked here: no order is made. It is asked when a person submits.

    Raises ``Refused`` (not registered, not allowed, an area not bought) or its
    subclass ``DraftRefused`` (``problems``: each bad line's ``LineProblem``), in the
    active language, and stores nothing; ``DuplicateDraft`` when this client sent
    ``submission_key`` before (``.draft`` is the draft that request made). Otherwise
    the draft, its lines and the audit event ``order_draft.created`` (naming the
    client) are written in one transaction and the draft is returned.
    """
    if not client_in_force(actor, organisation):
        raise Refused(_("This system is not registered for the organisation."))
    if not actor.may(ApiClient.Permission.DRAFT_ORDERS):
        raise Refused(_("This system is not registered to draft access orders."))
    if area not in System.Area.values:
        raise Refused(_("Choose the area: lonn, regnskap or kundesenter."))
    if area not in offered_areas(organisation):
        raise Refused(
            _("The organisation does not buy %(area)s.") % {"area": System.Area(area).label.lower()}
        )
    for wrong, reason in (
        (len(comment) > MAX_COMMENT_LENGTH, _("The comment can be at most 2000 characters.")),
        ("\x00" in comment, _("Null characters are not allowed.")),
    ):
        if wrong:  # line 0: the draft itself
            raise DraftRefused(reason, [LineProblem(0, "comment", reason)])
    if not lines:
        reason = _("Add at least one line.")
        raise DraftRefused(reason, [LineProblem(0, "lines", reason)])
    if len(lines) > MAX_ORDER_LINES:
        reason = ngettext(
            "A draft can have at most %(count)s line.",
            "A draft can have at most %(count)s lines.",
            MAX_ORDER_LINES,
        ) % {"count": number_format(MAX_ORDER_LINES, force_grouping=True)}
        raise DraftRefused(reason, [LineProblem(0, "lines", reason)])
    if submission_key is not None:
        existing = _drafted(actor, submission_key)
        if existing is not None:
            raise DuplicateDraft(existing)
    checked, problems = _check_lines(organisation, area, lines)
    if problems:
        raise DraftRefused(_("Some lines cannot be drafted: see each line's reason."), problems)
    try:
        with transaction.atomic():
            draft = OrderDraft.objects.create(
                organisation=organisation,
                area=area,
                api_client=actor,
                comment=comment.strip(),
                submission_key=submission_key,
            )
            OrderDraftLine.objects.bulk_create(
                OrderDraftLine(draft=draft, **line.as_fields()) for line in checked
            )
            write_audit(
                actor=None,
                api_client=actor,
                organisation=organisation,
                action="order_draft.created",
                summary=f"{actor.name}: {System.Area(area).label} ({len(checked)})",
                after={
                    "draft": draft.pk,
                    "client_id": actor.client_id,
                    "area": area,
                    "lines": [_line_facts(line) for line in checked],
                },
            )
    except IntegrityError:
        if submission_key is not None:
            existing = _drafted(actor, submission_key)
            if existing is not None:
                raise DuplicateDraft(existing) from None
        raise
    return draft


def _drafted(client: ApiClient, key: uuid.UUID) -> OrderDraft | None:
    return OrderDraft.objects.filter(api_client=client, submission_key=key).first()


def _check_lines(
    organisation: Organisation, area: str, lines: Sequence[DraftLineInput]
) -> tuple[list[LineInput], list[LineProblem]]:
    """Each line through the order form's own checks; what passes, and every reason."""
    roles = area_roles(area)
    by_code = {f"{role.system.code}/{role.code}": role for role in roles}
    members = active_members(organisation)
    checked: list[LineInput] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(lines, start=1):
        found: list[LineProblem] = []
        # A NUL character can be neither stored nor looked up: said, not sent onward.
        unreadable = [
            LineProblem(number, name, _("Null characters are not allowed."))
            for name in TEXT_FIELDS
            if "\x00" in getattr(line, name)
        ]
        if unreadable:
            problems += unreadable
            continue
        role = by_code.get(line.system_role.strip())
        if role is None:
            found.append(
                LineProblem(
                    number,
                    "system_role",
                    _("%(role)s is not an active role in this area.")
                    % {"role": line.system_role or "–"},
                )
            )
        elif role.ordering_area not in organisation.areas:
            found.append(
                LineProblem(
                    number,
                    "system_role",
                    _("The organisation does not buy %(area)s.")
                    % {"area": System.Area(role.ordering_area).label.lower()},
                )
            )
        new_person = any(
            value.strip()
            for value in (line.new_person_name, line.new_person_email, line.employee_number)
        )
        if line.person_email.strip() and new_person:
            found.append(
                LineProblem(
                    number,
                    "person_email",
                    _("Name either a member by e-mail or a new person, not both."),
                )
            )
        elif new_person and line.action == OrderLine.Action.REMOVE:
            found.append(
                LineProblem(
                    number,
                    "action",
                    _("A new person has no access to remove: name a member by e-mail."),
                )
            )
        person_pk: int | str = ""
        if line.person_email.strip():
            matches = list(members.filter(email__iexact=line.person_email.strip())[:2])
            if not matches:
                message = _("No member of the organisation has the e-mail %(email)s.")
            elif len(matches) > 1:
                message = _(
                    "More than one member has the e-mail %(email)s: name the person as "
                    "someone new, with employee number."
                )
            if len(matches) != 1:
                found.append(
                    LineProblem(number, "person_email", message % {"email": line.person_email})
                )
            else:
                person_pk = matches[0].pk
        valid_from = line.valid_from
        form = OrderLineForm(
            data={
                "person": person_pk,
                "new_person_name": line.new_person_name,
                "new_person_email": line.new_person_email,
                "employee_number": line.employee_number,
                "system_role": role.pk if role else "",
                "action": line.action,
                "valid_from": valid_from.isoformat()
                if isinstance(valid_from, dt.date)
                else valid_from,
            },
            organisation=organisation,
            roles=roles,
        )
        form.is_valid()
        for name, errors in form.errors.items():
            field = _FIELD_NAMES.get(name, name)
            if field in {p.field for p in found}:
                continue  # the line's own reason above says it better than the form's
            found.extend(LineProblem(number, field, str(message)) for message in errors)
        if found:
            problems.extend(found)
            continue
        checked.append(LineInput.from_form(form.cleaned_data))
    return checked, problems


def _line_facts(line: LineInput | OrderDraftLine) -> dict[str, Any]:
    return {
        "role": f"{line.system_role.system.code}/{line.system_role.code}",
        "action": line.action,
        "person": line.person.username if line.person else line.new_person_email,
        "from": line.valid_from.isoformat(),
    }


def get_draft_for_client(client: ApiClient, pk: int) -> OrderDraft:
    """Draft ``pk`` as the system that made it reads it back (the API's GET); else 404.

    Only while the client's registration is in force and allows drafting; another
    system's draft, or another organisation's, is the same 404 as one that does not
    exist.
    """
    draft = drafts_of_client(client).filter(pk=pk).first()
    if draft is None:
        raise Http404
    return draft


def drafts_of_client(client: ApiClient) -> QuerySet[OrderDraft]:
    """The drafts ``client`` made, newest first, with what ``draft_data`` reads; none
    unless its registration is in force and allows drafting (the gate)."""
    if not client_in_force(client, client.organisation) or not client.may(
        ApiClient.Permission.DRAFT_ORDERS
    ):
        return OrderDraft.objects.none()
    return (
        OrderDraft.objects.filter(api_client=client, organisation_id=client.organisation_id)
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "lines",
                OrderDraftLine.objects.select_related("system_role__system", "person"),
            ),
            # Each order line's state is its decision (or none): read with the line, not
            # one query per line of every submitted draft.
            Prefetch("order__lines", OrderLine.objects.select_related("decision")),
        )
    )


def draft_data(draft: OrderDraft) -> dict[str, Any]:
    """A draft as plain JSON-ready data for the system that made it.

    ``state`` is ``waiting``, ``submitted`` or ``discarded``; ``ended_at`` when it
    ended; once submitted, ``order_lines`` counts the order's lines by state (pending,
    done, rejected). What the order became is the orderer's case: the system is not told its
    number (rule 1 lets it read only the cases its registration allows).
    """
    outcome = None
    if draft.order is not None:
        # How the order it became is going, counted: the system may follow it without
        # reading the orderer's case (nor learning who else the orderer added).
        states = [line.state for line in draft.order.lines.all()]
        outcome = {state: states.count(state) for state in OrderLine.State.values}
    return {
        "id": draft.pk,
        "area": draft.area,
        "state": draft.state,
        "order_lines": outcome,
        "created_at": draft.created_at.isoformat(),
        "ended_at": draft.ended_at.isoformat() if draft.ended_at else None,
        "comment": draft.comment,
        "lines": [
            {
                "system_role": f"{line.system_role.system.code}/{line.system_role.code}",
                "action": line.action,
                "valid_from": line.valid_from.isoformat(),
                "person_email": line.person.email if line.person else "",
                "new_person_name": line.new_person_name,
                "new_person_email": line.new_person_email,
                "employee_number": line.employee_number,
            }
            for line in draft.lines.all()
        ],
    }


# The portal's side: the orderer sees, opens, submits or discards.


def _with_lines(drafts: QuerySet[OrderDraft]) -> QuerySet[OrderDraft]:
    return drafts.select_related("api_client").prefetch_related(
        Prefetch(
            "lines",
            OrderDraftLine.objects.select_related(
                "system_role__system", "system_role__register_role", "person"
            ),
        )
    )


def waiting_drafts_for(
    user: User, organisation: Organisation, area: str | None = None
) -> list[OrderDraft]:
    """The waiting drafts of ``organisation`` that ``user`` may submit now (rule 3 for
    every area of their lines), newest first; of ``area`` only, if given."""
    drafts = OrderDraft.objects.waiting().filter(organisation=organisation)
    if area is not None:
        drafts = drafts.filter(area=area)
    found = list(_with_lines(drafts))
    may: dict[frozenset[str], bool] = {}
    shown = []
    for draft in found:
        areas = frozenset(draft.ordering_areas)
        if areas not in may:
            may[areas] = refusal_reason(user, organisation, set(areas)) is None
        if may[areas]:
            shown.append(draft)
    return shown


def get_draft_in_organisation(organisation: Organisation, pk: object) -> OrderDraft:
    """Draft ``pk`` of ``organisation`` from a registration in force; else 404, whether
    it is another organisation's or none at all. Whether the user may submit it is
    ``draft_refusal``'s question."""
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404 from None
    if not 0 < number < 2**63:  # beyond a bigint the database would fail, not say "none"
        raise Http404
    drafts = OrderDraft.objects.filter(organisation=organisation, pk=number).filter(
        api_client__in=ApiClient.objects.in_force()
    )
    draft = _with_lines(drafts).select_related("ended_by", "order__case").first()
    if draft is None:
        raise Http404
    return draft


def draft_refusal(user: User, draft: OrderDraft) -> str | None:
    """Why ``user`` may not submit or discard ``draft`` now (rule 3), or None if they may."""
    return refusal_reason(user, draft.organisation, draft.ordering_areas)


def ended_text(draft: OrderDraft) -> str:
    """What became of an ended draft, in words: who, when, and the case if it was sent."""
    if draft.state == OrderDraft.State.SUBMITTED and draft.order is not None:
        return _("This draft was sent by %(person)s %(moment)s, as case %(number)s.") % {
            "person": draft.ended_by,
            "moment": shown_moment(draft.ended_at or draft.created_at),
            "number": draft.order.case.number,
        }
    return _("This draft was discarded by %(person)s %(moment)s.") % {
        "person": draft.ended_by,
        "moment": shown_moment(draft.ended_at or draft.created_at),
    }


def _lock_waiting(draft: OrderDraft) -> OrderDraft:
    """The draft's row, locked until the transaction ends: two orderers (or two clicks)
    take turns, and the second finds it ended."""
    return (
        OrderDraft.objects.select_for_update(of=("self",))
        .select_related("organisation", "api_client", "ended_by", "order__case")
        .get(pk=draft.pk)
    )


def do_submit_draft(
    *,
    actor: User,
    draft: OrderDraft,
    lines: list[LineInput],
    comment: str = "",
    submission_key: uuid.UUID | None = None,
) -> Order:
    """The orderer submits ``draft`` as the order ``lines`` (as they left it in the form).

    The order is made by ``do_submit_order`` with ``actor`` as the one who orders, so
    rule 3 is asked of the person at this moment, as for every order. The draft is
    marked submitted, naming the order, in the same transaction; its row is locked
    first, so it becomes one order at most. The same person sending the same form
    again gets ``DuplicateOrder`` (the order made); anyone else ``DraftEnded``.
    """
    with transaction.atomic():
        locked = _lock_waiting(draft)
        if locked.state != OrderDraft.State.WAITING:
            order = locked.order
            if (
                order is not None
                and submission_key is not None
                and order.ordered_by_id == actor.pk
                and order.submission_key == submission_key
            ):
                raise DuplicateOrder(order)
            raise DraftEnded(ended_text(locked))
        order = do_submit_order(
            actor=actor,
            organisation=locked.organisation,
            area=locked.area,
            lines=lines,
            comment=comment,
            submission_key=submission_key,
        )
        locked.state = OrderDraft.State.SUBMITTED
        locked.order = order
        locked.ended_by = actor
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "order", "ended_by", "ended_at"])
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="order_draft.submitted",
            summary=f"{locked.api_client.name} → {order.case.number}",
            before={"state": OrderDraft.State.WAITING},
            after={
                "state": OrderDraft.State.SUBMITTED,
                "draft": locked.pk,
                "order": order.pk,
                "case": order.case.number,
                "client_id": locked.api_client.client_id,
            },
            basis=_("Ordered by %(person)s") % {"person": actor},
        )
    return order


def do_discard_draft(*, actor: User, draft: OrderDraft) -> OrderDraft:
    """An orderer who may submit ``draft`` (rule 3) discards it instead: it ends, audited."""
    with transaction.atomic():
        locked = _lock_waiting(draft)
        if locked.state != OrderDraft.State.WAITING:
            raise DraftEnded(ended_text(locked))
        reason = draft_refusal(actor, draft)  # the lines never change: the caller's will do
        if reason:
            raise OrderRefused(reason)
        locked.state = OrderDraft.State.DISCARDED
        locked.ended_by = actor
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "ended_by", "ended_at"])
        write_audit(
            actor=actor,
            organisation=locked.organisation,
            action="order_draft.discarded",
            summary=f"{locked.api_client.name}: {locked.get_area_display()} ({locked.pk})",
            before={"state": OrderDraft.State.WAITING},
            after={
                "state": OrderDraft.State.DISCARDED,
                "draft": locked.pk,
                "client_id": locked.api_client.client_id,
            },
        )
    return locked


def line_initial(line: OrderDraftLine) -> dict[str, Any]:
    """A draft's line as the order form's initial values (prefilling the form)."""
    return {
        "person": line.person_id or "",
        "new_person_name": line.new_person_name,
        "new_person_email": line.new_person_email,
        "employee_number": line.employee_number,
        "system_role": line.system_role_id,
        "action": line.action,
        "valid_from": line.valid_from,
    }
