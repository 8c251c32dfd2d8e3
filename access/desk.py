"""What the access layer puts on the support desk (cases/desk.py): the orders,
appointments and fullmakt forms that wait for the team's decision, and on a case's
page the link to where its own order, appointment or fullmakt form is decided."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from access.models import Appointment, FullmaktSubmission, Order, System
from cases.desk import Pending, Related
from cases.models import Case
from portal.models import User


def fullmakt_waiting(areas: list[str]) -> tuple[int, int]:
    """Fullmakt forms of the team's cases: (to verify, verified and waiting for a second
    staff member), the same states as the list's filter (``in_state``)."""
    forms = FullmaktSubmission.objects.filter(case__category__in=areas)
    to_verify = forms.in_state(FullmaktSubmission.State.SUBMITTED).count()
    to_confirm = forms.in_state(FullmaktSubmission.State.VERIFIED).count()
    return to_verify, to_confirm


def pending(user: User, areas: list[str]) -> list[Pending]:
    orders = Order.objects.filter(area__in=[*areas, System.Area.CUSTOMER_CENTRE]).open().count()
    appointments = Appointment.objects.filter(area__in=areas, decision__isnull=True).count()
    to_verify, to_confirm = fullmakt_waiting(areas)

    return [
        Pending(
            _("Orders of roles and access"),
            orders,
            reverse("admin:access_order_changelist") + "?avgjort=nei",
        ),
        Pending(
            _("Appointments and removals of authorised orderers"),
            appointments,
            reverse("admin:access_appointment_changelist") + "?avgjort=nei",
        ),
        Pending(
            _("Fullmakt forms to verify"),
            to_verify,
            reverse("admin:access_fullmaktsubmission_changelist") + "?tilstand=submitted",
        ),
        Pending(
            _("Fullmakt forms to confirm"),
            to_confirm,
            reverse("admin:access_fullmaktsubmission_changelist") + "?tilstand=verified",
            _("by a staff member other than the one who verified"),
        ),
    ]


def related(user: User, case: Case) -> list[Related]:
    links = []
    order = Order.objects.filter(case=case).only("pk").first()
    if order is not None:
        links.append(
            Related(_("Decide the order"), reverse("admin:access_order_change", args=[order.pk]))
        )
    appointment = Appointment.objects.filter(case=case).only("pk").first()
    if appointment is not None:
        links.append(
            Related(
                _("Decide the request"),
                reverse("admin:access_appointment_change", args=[appointment.pk]),
            )
        )
    submission = FullmaktSubmission.objects.filter(case=case).only("pk").first()
    if submission is not None:
        links.append(
            Related(
                _("Handle the fullmakt form"),
                reverse("admin:access_fullmaktsubmission_change", args=[submission.pk]),
            )
        )
    return links
