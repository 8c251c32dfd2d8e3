"""The access layer's panels on the case page (the appointment or the order behind a
case) and its notice on the start page (drafts from systems waiting for an orderer)."""

from __future__ import annotations

from typing import Any

from access.drafts import waiting_drafts_for
from access.models import Appointment, Order
from cases.models import Case
from portal.models import Organisation, User


def appointment_panel(user: User, case: Case) -> tuple[str, dict[str, Any]] | None:
    appointment = (
        Appointment.objects.filter(case=case).select_related("person", "requested_by").first()
    )
    if appointment is None:
        return None
    return "access/_appointment_panel.html", {"appointment": appointment}


def order_panel(user: User, case: Case) -> tuple[str, dict[str, Any]] | None:
    order = Order.objects.filter(case=case).first()
    if order is None:
        return None
    lines = order.lines.select_related("person", "system_role__system").order_by("id")
    return "access/_order_panel.html", {"order": order, "lines": lines}


def drafts_waiting_notice(
    user: User, organisation: Organisation
) -> tuple[str, dict[str, Any]] | None:
    """On the start page: how many drafts from the organisation's systems wait for this
    person (those they may submit, rule 3), with the way to them."""
    waiting = len(waiting_drafts_for(user, organisation))
    if not waiting:
        return None
    return "access/_drafts_waiting_notice.html", {"count": waiting}
