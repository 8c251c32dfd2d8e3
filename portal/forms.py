from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import throttle
from portal.models import Feedback


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing an attempt that comes before the throttle's wait is over.

    The refused attempt's password is not checked, so waiting out the throttle
    is the only way on; ``throttle_wait`` holds the seconds, for Retry-After.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is wrong. Both are case-sensitive."),
        "throttled": _(
            "Too many failed attempts to log in. For your security, wait %(wait)s "
            "and try again. Your password was not checked."
        ),
    }
    throttle_wait = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not (username and self.cleaned_data.get("password")):
            return super().clean()  # the fields' own errors say what is missing
        attempt = throttle.check_login(self.request, username)  # type: ignore[arg-type]
        if attempt.wait:
            self.throttle_wait = attempt.wait
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"wait": duration(attempt.wait)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            attempt.failed()
            raise
        attempt.succeeded()
        return cleaned


def duration(seconds: int) -> str:
    """A wait as a person says it: seconds under two minutes, else whole minutes, rounded up."""
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class FeedbackForm(forms.Form):
    page = forms.CharField(max_length=500)
    answer = forms.ChoiceField(choices=Feedback.Answer.choices)


class FeedbackCommentForm(forms.Form):
    token = forms.CharField(max_length=200, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("What were you looking for?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write personal information. We do not answer feedback."),
    )
