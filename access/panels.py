"""The access layer's panels on the case page: the appointment or the order behind a case."""

from __future__ import annotations

from typing import Any

from access.models import Appointment, Order
from cases.models import Case
from portal.models import User


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
