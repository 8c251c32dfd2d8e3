"""The audit trail as staff read it: a label per action, "field: value" instead of JSON.

An audit event stores its ``action`` as a code ("case.changed") and what changed
as JSON (``before``/``after``) with codes and ids in it. This module turns them
into text in the reader's language: the action's label, each field's label and
each value by its label or name (a role code by the role's name, a status by its
label, a date as dd.mm.yyyy, a moment in Oslo time).

Each layer knows its own codes: the portal registers its actions and values here,
``cases`` and ``access`` theirs when their apps are ready (``register``), so the
portal never imports the layers above it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.dates import shown_date, shown_moment
from portal.models import Organisation, RoleAssignment, RoleType, User

Label = str | Promise
# Reads one stored value of a field, given the event's action; None if it does not know it.
ValueReader = Callable[[Any, str], str | None]


@dataclass
class _Registry:
    actions: dict[str, Label]
    fields: dict[str, Label]
    readers: dict[str, list[ValueReader]]
    hidden: set[str]
    models: dict[str, type[Model]]


_registry = _Registry(actions={}, fields={}, readers={}, hidden=set(), models={})


def register(
    *,
    actions: dict[str, Label] | None = None,
    fields: dict[str, Label] | None = None,
    readers: dict[str, ValueReader] | None = None,
    hidden: Iterable[str] = (),
    models: dict[str, type[Model]] | None = None,
) -> None:
    """Add action labels, field labels, value readers, fields not worth showing
    (technical keys such as a lineage's UUID) and the model whose fields an action's
    before/after name ("organisation" for "organisation.changed"), whose verbose names
    then label them. A reader registered later is asked first."""
    _registry.models.update(models or {})
    _registry.actions.update(actions or {})
    _registry.fields.update(fields or {})
    for name, reader in (readers or {}).items():
        _registry.readers.setdefault(name, []).insert(0, reader)
    _registry.hidden.update(hidden)


def known_actions() -> set[str]:
    return set(_registry.actions)


def action_label(code: str) -> str:
    """The action's label in the active language; an unknown code as readable words."""
    label = _registry.actions.get(code)
    if label is not None:
        return str(label)
    words = re.sub(r"[._-]+", " ", code).strip()
    return words[:1].upper() + words[1:]


def field_label(name: str, action: str = "") -> str:
    label = _registry.fields.get(name)
    if label is not None:
        return str(label)
    model = _registry.models.get(action.split(".")[0])
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if isinstance(field, Field):
            return str(field.verbose_name)
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def value_text(name: str, value: Any, action: str = "") -> str:
    """One stored value as text: by the field's reader, else by its type."""
    if value is None or value == "":
        return "–"
    for reader in _registry.readers.get(name, []):
        try:
            text = reader(value, action)
        except (ValueError, TypeError, LookupError):
            text = None
        if text is not None:
            return text
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict):
        return ", ".join(f"{label}: {text}" for label, text in changes(value, action))
    if isinstance(value, list):
        return "; ".join(value_text(name, item, action) for item in value) or "–"
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        try:
            return shown_moment(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return shown_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _shown(name: str, value: Any) -> bool:
    # A hidden key is an id or UUID; the same key holding a record's facts is shown.
    return name not in _registry.hidden or isinstance(value, dict | list)


def _in_order(names: Iterable[str]) -> list[str]:
    """Fields in the order they were registered (person before role before dates), the
    rest after them: PostgreSQL's jsonb keeps no order of its own."""
    known = list(_registry.fields)
    return sorted(names, key=lambda name: known.index(name) if name in known else len(known))


def changes(data: dict[str, Any] | None, action: str = "") -> list[tuple[str, str]]:
    """``before`` or ``after`` of an event as (field label, value text) pairs."""
    if not isinstance(data, dict):
        return [] if data is None else [("", value_text("", data, action))]
    return [
        (field_label(name, action), value_text(name, data[name], action))
        for name in _in_order(data)
        if _shown(name, data[name])
    ]


def changes_summary(
    before: Any, after: Any, action: str = "", limit: int = 4
) -> list[tuple[str, str]]:
    """What an event changed, for a list: each field whose value differs, as
    "before → after" (or the one value there is), empty values left out, at most
    ``limit`` fields and then "…"."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    shown: list[tuple[str, str]] = []
    for name in _in_order({**old, **new}):
        was, now = old.get(name), new.get(name)
        if was == now or not _shown(name, now if name in new else was):
            continue
        if name in old and name in new:
            text = f"{value_text(name, was, action)} → {value_text(name, now, action)}"
        else:
            text = value_text(name, now if name in new else was, action)
            if text == "–":
                continue
        shown.append((field_label(name, action), text))
    return [*shown[:limit], ("…", "")] if len(shown) > limit else shown


def changes_text(data: dict[str, Any] | None, action: str = "", separator: str = "\n") -> str:
    """``changes`` as lines "field: value" (for the Excel export and the change list)."""
    return separator.join(f"{label}: {text}" for label, text in changes(data, action))


# --- the portal's own codes --------------------------------------------------------------


def _read_role(value: Any, action: str) -> str | None:
    if not isinstance(value, str) or "/" in value:
        return None  # "system/role" is an access role: access reads it
    role = RoleType.objects.filter(code=value).first()
    return role.name if role else None


def _read_person(value: Any, action: str) -> str | None:
    if isinstance(value, int):
        found = User.objects.filter(pk=value).first()
    elif isinstance(value, str):
        found = User.objects.filter(username=value).first()
    else:
        return None
    return str(found) if found else None


def _read_organisation(value: Any, action: str) -> str | None:
    if isinstance(value, int):
        found = Organisation.objects.filter(pk=value).first()
    elif isinstance(value, str):
        found = Organisation.objects.filter(slug=value).first()
    else:
        return None
    return found.name if found else None


def _read_basis(value: Any, action: str) -> str | None:
    return str(RoleAssignment.Basis(value).label)


def _read_language(value: Any, action: str) -> str | None:
    return next((str(name) for code, name in settings.LANGUAGES if code == value), None)


def _read_derived_from(value: Any, action: str) -> str | None:
    if not isinstance(value, dict) or "recorded_at" not in value:
        return None
    return gettext("the assignment recorded %(moment)s") % {
        "moment": value_text("recorded_at", value["recorded_at"], action)
    }


register(
    actions={
        "role.assigned": _("Role registered"),
        "role.ended": _("Role ended"),
        "role.retracted": _("Role retracted"),
        "membership.added": _("Member added"),
        "membership.ended": _("Membership ended"),
        "organisation.added": _("Organisation added"),
        "organisation.changed": _("Organisation changed"),
        "user.added": _("User added"),
        "user.changed": _("User changed"),
    },
    fields={
        "person": _("person"),
        "user": _("user"),
        "organisation": _("organisation"),
        "role": _("role"),
        "valid_from": _("valid from"),
        "valid_to": _("valid to (inclusive)"),
        "date": _("date"),
        "basis": _("basis"),
        "evidence": _("evidence"),
        "reason": _("reason"),
        "retracted": _("retracted"),
        "derived_from": _("derived from"),
        "recorded_at": _("recorded at"),
        "assignment": _("role assignment"),
    },
    readers={
        "role": _read_role,
        "person": _read_person,
        "user": _read_person,
        "organisation": _read_organisation,
        "basis": _read_basis,
        "language": _read_language,
        "derived_from": _read_derived_from,
    },
    hidden={"lineage", "assignment"},
    models={"organisation": Organisation, "user": User},
)
