"""The access layer's audit codes and values, in words (see ``portal.audit_text``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from access.models import (
    Appointment,
    FullmaktSubmission,
    OrderDraft,
    OrderLine,
    System,
    SystemRole,
)
from portal.audit_text import register
from portal.models import ApiClient

# Which states an event's "state" names: its action's family decides.
_STATES: dict[str, type[Any]] = {
    "appointment": Appointment.State,
    "order": OrderLine.State,
    "order_draft": OrderDraft.State,
    "fullmakt": FullmaktSubmission.State,
}


def _read_state(value: Any, action: str) -> str | None:
    states = _STATES.get(action.split(".")[0])
    return str(states(value).label) if states else None


def _read_system_role(value: Any, action: str) -> str | None:
    if not isinstance(value, str) or "/" not in value:
        return None  # a role of the register: the portal reads it
    system, code = value.split("/", 1)
    found = SystemRole.objects.select_related("system").filter(system__code=system, code=code)
    role = found.first()
    return str(role) if role else None


def _read_area(value: Any, action: str) -> str | None:
    if value in System.Area.values:
        return str(System.Area(value).label)
    return None


# Order lines grant or remove; the fullmakt form's rows add or end.
_ROW_ACTIONS = {"add": _("Add"), "end": _("End")}


def _read_line_action(value: Any, action: str) -> str | None:
    if action.startswith(("order.", "order_draft.")):
        return str(OrderLine.Action(value).label)
    label = _ROW_ACTIONS.get(value)
    return str(label) if label else None


def _read_permissions(value: Any, action: str) -> str | None:
    """What a registered system may do, by the permissions' labels in the model's order."""
    if not isinstance(value, list):
        return None
    labels = dict(ApiClient.Permission.choices)
    return "; ".join(str(labels.get(code, code)) for code in value) or "–"


def register_access_audit_text() -> None:
    register(
        actions={
            "order.submitted": _("Order submitted"),
            "order.line.done": _("Order line carried out"),
            "order.line.rejected": _("Order line rejected"),
            "order_draft.created": _("Order drafted by a system"),
            "order_draft.submitted": _("Order draft sent as an order"),
            "order_draft.discarded": _("Order draft discarded"),
            "appointment.requested.appoint": _("Appointment of an orderer requested"),
            "appointment.requested.remove": _("Removal of an orderer requested"),
            "appointment.approved": _("Appointment request approved"),
            "appointment.rejected": _("Appointment request rejected"),
            "fullmakt.submitted": _("Fullmakt form submitted"),
            "fullmakt.rows_keyed_in": _("Fullmakt form rows keyed in"),
            "fullmakt.verified": _("Fullmakt form verified"),
            "fullmakt.registered": _("Fullmakt form registered"),
            "fullmakt.rejected": _("Fullmakt form rejected"),
            "api_client.registered": _("System registered for the API"),
            "api_client.changed": _("System's registration for the API changed"),
            "api_client.withdrawn": _("System's registration for the API withdrawn"),
        },
        fields={
            "state": _("state"),
            "order": _("order"),
            "draft": _("order draft"),
            "client_id": _("client id"),
            "lines": _("order lines"),
            "from": _("from"),
            "action": _("add or end"),
            "appointment": _("request"),
            "submission": _("fullmakt form"),
            "rows": _("rows"),
            "row": _("row"),
            "signer": _("signer"),
            "skipped": _("not registered"),
            "email": _("e-mail"),
            "employee_number": _("employee number"),
            "name": _("name"),
            "permissions": _("may"),
            "withdrawn_at": _("withdrawn"),
        },
        hidden={"order", "draft", "appointment", "submission", "api_client"},
        readers={
            "state": _read_state,
            "role": _read_system_role,
            "action": _read_line_action,
            "permissions": _read_permissions,
            "area": _read_area,
        },
        models={"api_client": ApiClient},
    )
