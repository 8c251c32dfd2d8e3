from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _

from access.integrations import (
    PERMISSION_HELP,
    check_client_id,
    check_name,
    check_permissions,
    grantable_permissions,
    in_order,
)
from access.models import Appointment, OrderLine, SystemRole
from portal.dates import today as oslo_today
from portal.models import ApiClient, Area, Organisation, User
from portal.organisations import active_members
from portal.services import Refused

PHONE_RE = re.compile(r"^\+?[0-9 ]{5,20}$")


class ContactDetailsForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "phone", "job_title")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["phone"].help_text = _("For example +47 22 00 00 00.")

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data.get("phone", "")).strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(
                _("Write the phone number with digits, spaces and an optional + in front."),
                code="phone",
            )
        return phone


class AppointmentForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), widget=forms.RadioSelect)
    action = forms.ChoiceField(
        label=_("What do you want to do?"),
        choices=Appointment.Action.choices,
        widget=forms.RadioSelect,
        initial=Appointment.Action.APPOINT,
    )
    person = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.none(), empty_label=_("Choose a person")
    )
    valid_from = forms.DateField(
        label=_("Date"),
        help_text=_(
            "Appointing: the first day the person may order. Removing: the last day. dd.mm.yyyy"
        ),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d.%m.%Y", attrs={"inputmode": "numeric"}),
    )
    comment = forms.CharField(
        label=_("Comment to the customer centre"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_last = forms.BooleanField(
        label=_("I understand that the organisation will have no authorised orderer left"),
        required=False,
    )

    def __init__(
        self, *args: Any, organisation: Organisation, areas: list[Area], actor: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(a.value, a.label) for a in areas]  # type: ignore[attr-defined]
        if len(areas) == 1:
            self.fields["area"].initial = areas[0].value
        self.fields["person"].queryset = (  # type: ignore[attr-defined]
            active_members(organisation).exclude(pk=actor.pk).order_by("last_name", "first_name")
        )
        self.fields["valid_from"].initial = oslo_today()
        self.actor = actor

    def clean_valid_from(self) -> dt.date:
        day: dt.date = self.cleaned_data["valid_from"]
        if day < oslo_today():
            raise ValidationError(_("The date cannot be in the past."), code="past")
        if day > oslo_today() + dt.timedelta(days=366):
            raise ValidationError(_("The date can be at most a year ahead."), code="far")
        return day


class OrderLineForm(forms.Form):
    """One line of an order: a person (a member, or someone new), a role, grant/remove, a date."""

    # A member from the list, or name, e-mail and employee number of someone new:
    # one way is required (``clean`` says which is missing), so none is "optional".
    alternatives = ("person", "new_person_name", "new_person_email", "employee_number")

    person = forms.ModelChoiceField(
        label=_("Person"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Someone who is not in the list"),
    )
    new_person_name = forms.CharField(label=_("Name (new person)"), max_length=200, required=False)
    new_person_email = forms.EmailField(label=_("E-mail (new person)"), required=False)
    employee_number = forms.CharField(label=_("Employee number"), max_length=30, required=False)
    system_role = forms.ModelChoiceField(
        label=_("System role"), queryset=SystemRole.objects.none(), empty_label=_("Choose a role")
    )
    action = forms.ChoiceField(
        label=_("Grant or remove"), choices=OrderLine.Action.choices, initial=OrderLine.Action.GRANT
    )
    valid_from = forms.DateField(
        label=_("From date"),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d.%m.%Y", attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, organisation: Organisation, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = active_members(organisation).order_by(  # type: ignore[attr-defined]
            "last_name", "first_name"
        )
        self.fields["system_role"].queryset = roles  # type: ignore[attr-defined]
        self.fields["valid_from"].initial = oslo_today()

    def clean_valid_from(self) -> dt.date:
        day: dt.date = self.cleaned_data["valid_from"]
        if day < oslo_today():
            raise ValidationError(_("The date cannot be in the past."), code="past")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person = cleaned.get("person")
        role = cleaned.get("system_role")
        if person is None:
            new_person = ("new_person_name", "new_person_email", "employee_number")
            missing = [
                name for name in new_person if not cleaned.get(name) and name not in self.errors
            ]
            # Nothing chosen and nothing of someone new: one error, on the list. Someone
            # new begun: each of their fields still empty says so.
            begun = len(missing) < len(new_person)
            for name in missing if begun else ["person"]:
                self.add_error(
                    name,
                    ValidationError(
                        _(
                            "Choose a person in the list, or fill in name, e-mail "
                            "and employee number."
                        ),
                        code="person_missing",
                    ),
                )
            if role is not None and role.register_role is not None:
                self.add_error(
                    "person",
                    ValidationError(
                        _("Extended access is for members of the organisation: choose a person."),
                        code="member_required",
                    ),
                )
        return cleaned


class BaseOrderLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.has_changed() and form.cleaned_data]
        if not filled:
            raise ValidationError(_("Add at least one line."), code="no_lines")


MAX_ORDER_LINES = 30

OrderLineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseOrderLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_ORDER_LINES,
    validate_max=True,
    # Never build more forms than that, whatever form-TOTAL_FORMS says (Django would
    # build up to 1 000 more, each asking the database, before refusing).
    absolute_max=MAX_ORDER_LINES,
)


class OrderForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment to the customer centre"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PermissionCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes each described by the plain explanation shown under it (``<id>_help``)."""

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: Any,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if option["attrs"].get("id"):
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_help"
        return option


class ApiClientForm(forms.Form):
    """One of the organisation's systems and what it may do (``access.integrations``).

    Every check is the service's own (``check_name`` and friends), so the form says
    at the field what the service would refuse. Changing a registration leaves its
    client id as it is: the form then has no such field.
    """

    name = forms.CharField(
        label=_("Name of the system"),
        max_length=100,
        help_text=_("What the organisation calls it, e.g. the HR system."),
    )
    client_id = forms.CharField(
        label=_("Client id in Maskinporten"),
        max_length=100,
        help_text=_("As Maskinporten shows it, e.g. 0c4a2f5e-7b1d-4f7a-9a0e-2d5c1b3e8f61."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    permissions = forms.MultipleChoiceField(
        label=_("What may the system do?"),
        choices=ApiClient.Permission.choices,
        widget=PermissionCheckboxes(attrs={"class": "ds-input"}),
        error_messages={"required": _("Choose at least one thing the system may do.")},
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        actor: User,
        changing: bool = False,
        kept: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if changing:
            del self.fields["client_id"]
        # Every permission is a valid choice, so that one of an area the organisation
        # does not buy gets the service's own reason (clean_permissions); only those the
        # person may grant are shown, and those someone else granted are named (kept).
        field = self.fields["permissions"]
        grantable = grantable_permissions(actor, organisation)
        field.widget.choices = [(p.value, p.label) for p in grantable]
        self.kept_permissions = [
            ApiClient.Permission(p).label for p in in_order(kept or []) if p not in grantable
        ]

    def permission_options(self) -> list[dict[str, Any]]:
        """Each checkbox with its explanation, for the template."""
        bound = self["permissions"]
        attrs = bound.build_widget_attrs(
            {"id": bound.auto_id, **({"aria-invalid": "true"} if bound.errors else {})}
        )
        widget = bound.field.widget
        return [
            {
                "widget": BoundWidget(widget, option, self.renderer),
                "help": PERMISSION_HELP[option["value"]],
            }
            for option in widget.subwidgets(bound.html_name, bound.value(), attrs=attrs)
        ]

    def clean_name(self) -> str:
        try:
            return check_name(self.cleaned_data["name"])
        except Refused as refusal:
            raise ValidationError(refusal.reason, code="name") from None

    def clean_client_id(self) -> str:
        try:
            return check_client_id(self.organisation, self.cleaned_data["client_id"])
        except Refused as refusal:
            raise ValidationError(refusal.reason, code="client_id") from None

    def clean_permissions(self) -> list[str]:
        try:
            return check_permissions(self.organisation, self.cleaned_data["permissions"])
        except Refused as refusal:
            raise ValidationError(refusal.reason, code="permissions") from None
