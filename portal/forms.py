from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from portal import throttle
from portal.models import Feedback


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing every attempt once a username or address is throttled."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is wrong. Both are case-sensitive."),
        "throttled": _(
            "Too many failed attempts. For your security, logging in is blocked for a while. "
            "Try again in 15 minutes, or contact the customer centre."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if throttle.is_blocked(self.request, username):  # type: ignore[arg-type]
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(self.request, username)  # type: ignore[arg-type]
            raise
        throttle.record_success(self.request, username)  # type: ignore[arg-type]
        return cleaned


class FeedbackForm(forms.Form):
    page = forms.CharField(max_length=500)
    answer = forms.ChoiceField(choices=Feedback.Answer.choices)


class FeedbackCommentForm(forms.Form):
    token = forms.CharField(max_length=200, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("What were you looking for? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write personal information. We do not answer feedback."),
    )
