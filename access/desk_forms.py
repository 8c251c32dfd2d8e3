"""The support desk's decision forms: what staff choose and type on the pages where they
decide orders, appointments and fullmakt forms (access/admin.py). The forms ask only for
input; the rules are the services' (a refusal is shown beside the form)."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from access.fullmakt_services import KNOWN_ROLES
from access.models import OrderLine
from portal.models import RoleType

DATE_WIDGET = forms.DateInput(format="%d.%m.%Y", attrs={"inputmode": "numeric", "size": 10})


class AppointmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or reject.")},
    )
    reason = forms.CharField(
        label=_("Reason (the customer sees it in the case)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", _("Give a reason for the decision."))
        return cleaned


class OrderLineDecisionForm(forms.Form):
    """One waiting line: done, rejected (with a reason), or left for later."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("Later")), ("done", _("Done")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "reject" and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", _("Give a reason for rejecting the line."))
        return cleaned


class BaseOrderLineFormSet(forms.BaseFormSet[OrderLineDecisionForm]):
    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        self.lines = {line.pk: line for line in lines}
        kwargs.setdefault("initial", [{"id": line.pk} for line in lines])
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        chosen = 0
        for form in self.forms:
            if form.cleaned_data.get("id") not in self.lines:
                form.add_error(None, _("This line has already been handled."))
            elif form.cleaned_data.get("decision"):
                chosen += 1
        if not chosen and not any(form.errors for form in self.forms):
            raise forms.ValidationError(_("Choose done or reject for at least one line."))

    def decisions(self) -> list[tuple[OrderLine, bool, str]]:
        """(line, done, reason) for each line with a decision, in the order shown."""
        return [
            (
                self.lines[form.cleaned_data["id"]],
                form.cleaned_data["decision"] == "done",
                form.cleaned_data.get("reason", ""),
            )
            for form in self.forms
            if form.cleaned_data.get("decision")
        ]


OrderLineFormSet = cast(
    type[BaseOrderLineFormSet],
    forms.formset_factory(
        OrderLineDecisionForm, formset=BaseOrderLineFormSet, extra=0, max_num=1000
    ),
)


class FullmaktStepForm(forms.Form):
    """The next step with a fullmakt form: its choices are those its state allows."""

    step = forms.ChoiceField(
        label=_("Step"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a step.")},
    )
    authority_confirmed = forms.BooleanField(
        label=_("I have checked that the signer holds budget disposal authority"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for rejecting (the customer sees it in the case)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    LABELS = {
        "verify": _("Verify (first staff member)"),
        "confirm": _("Confirm and register the roles (second staff member)"),
        "reject": _("Reject"),
    }

    def __init__(self, *args: Any, steps: list[str], **kwargs: Any) -> None:
        """``steps``: those the staff member may take (``steps_open_to``); no others
        are offered, nor taken if posted."""
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(step, self.LABELS[step]) for step in steps]  # type: ignore[attr-defined]
        if "verify" not in steps:
            del self.fields["authority_confirmed"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        step = cleaned.get("step")
        if step == "verify" and not cleaned.get("authority_confirmed"):
            self.add_error(
                "authority_confirmed",
                _("Confirm that the signer holds budget disposal authority before verifying."),
            )
        if step == "reject" and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", _("Give a reason for the decision."))
        return cleaned


ACTION_CHOICES = [("add", _("Add")), ("end", _("End"))]


def role_choices() -> list[tuple[str, str]]:
    """The roles a fullmakt form registers, by their name in the reader's language."""
    roles = {role.code: role.name for role in RoleType.objects.filter(code__in=KNOWN_ROLES)}
    return [(code, roles.get(code, code)) for code in KNOWN_ROLES]


class FullmaktRowForm(forms.Form):
    """One person on the form, as staff read it from the signed copy."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Write the person's name.")},
    )
    email = forms.EmailField(
        label=_("E-mail"),
        error_messages={"required": _("Write the person's e-mail address.")},
    )
    employee_number = forms.CharField(
        label=_("Employee number"),
        max_length=30,
        required=False,  # a scanned form may not show it; the e-mail finds the person
    )
    role = forms.ChoiceField(label=_("Role"), error_messages={"required": _("Choose the role.")})
    action = forms.ChoiceField(
        label=_("Add or end"),
        choices=ACTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose add or end.")},
    )
    date = forms.DateField(
        label=_("Date"),
        widget=DATE_WIDGET,
        help_text=_("dd.mm.yyyy"),
        error_messages={
            "required": _("Write the date as dd.mm.yyyy."),
            "invalid": _("Write the date as dd.mm.yyyy."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—"), *role_choices()]  # type: ignore[attr-defined]


class BaseFullmaktRowFormSet(forms.BaseFormSet[FullmaktRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("Key in at least one row."))

    def rows(self) -> list[dict[str, Any]]:
        """The rows in the shape ``check_rows`` expects, numbered 1..n as shown."""
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return [
            {
                "row": number,
                "name": data["name"].strip(),
                "email": data["email"].strip(),
                "employee_number": data["employee_number"].strip(),
                "role": data["role"],
                "action": data["action"],
                "date": data["date"].isoformat(),
            }
            for number, data in enumerate(kept, start=1)
        ]

    def typed(self) -> list[dict[str, Any]]:
        """What was typed in each row that is not empty or removed, as given (for a new
        page with one more row: nothing is checked or stored)."""
        names = ("name", "email", "employee_number", "role", "action", "date")
        typed = []
        for form in self.forms:
            if form["DELETE"].value():
                continue
            values = {name: form[name].value() for name in names}
            if any(values.values()):
                typed.append(values)
        return typed


FullmaktRowFormSet = cast(
    type[BaseFullmaktRowFormSet],
    forms.formset_factory(
        FullmaktRowForm, formset=BaseFullmaktRowFormSet, extra=1, can_delete=True, max_num=200
    ),
)


def initial_rows(rows: list[Any]) -> list[dict[str, Any]]:
    """The stored rows (read from the Excel file or keyed in) as the formset's initial data."""
    initial = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        day: Any = row.get("date", "")
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(str(day))
        initial.append(
            {
                "name": row.get("name", ""),
                "email": row.get("email", ""),
                "employee_number": row.get("employee_number", ""),
                "role": row.get("role", ""),
                "action": row.get("action", ""),
                "date": day,
            }
        )
    return initial
