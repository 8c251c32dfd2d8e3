"""The cases layer's audit codes and values, in words (see ``portal.audit_text``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cases.models import Case, SubjectArea
from portal.audit_text import register
from portal.models import User


def _read_subject_area(value: Any, action: str) -> str | None:
    found = SubjectArea.objects.filter(pk=value).first() if isinstance(value, int) else None
    return found.name if found else None


def _read_staff_member(value: Any, action: str) -> str | None:
    found = User.objects.filter(pk=value).first() if isinstance(value, int) else None
    return str(found) if found else None


def _read_status(value: Any, action: str) -> str | None:
    return str(Case.Status(value).label)


def register_cases_audit_text() -> None:
    register(
        actions={
            "case.changed": _("Case changed"),
            "api.case_filed": _("Case filed by a system"),
            "api.message_added": _("Message written by a system"),
        },
        fields={
            "message": _("message"),
            "case": _("case"),
            "subject_area": _("subject area"),
            "assigned_to": _("assigned to"),
            "status": _("status"),
            "from_status": _("from"),
            "to_status": _("to"),
        },
        readers={
            "subject_area": _read_subject_area,
            "assigned_to": _read_staff_member,
            "status": _read_status,
            "from_status": _read_status,
            "to_status": _read_status,
        },
        models={"case": Case},
    )
