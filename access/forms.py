from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.models import Appointment, OrderLine, SystemRole
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, User
from portal.organisations import active_members

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
