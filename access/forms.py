from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.models import Appointment
from portal.dates import today as oslo_today
from portal.models import Area, Organisation, User

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
            User.objects.filter(memberships__organisation=organisation, is_active=True)
            .exclude(pk=actor.pk)
            .order_by("last_name", "first_name")
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
