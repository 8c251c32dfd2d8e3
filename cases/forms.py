from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import SubjectArea
from cases.uploads import MAX_ATTACHMENTS_PER_SUBMISSION, CheckedUpload, check_uploads
from portal.models import Area, Organisation


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked from its content (cases.uploads)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedUpload]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return check_uploads(files)


# The limits are written out: a lazy string can't be interpolated at import time.
assert MAX_ATTACHMENTS_PER_SUBMISSION == 10
ATTACHMENT_HELP = _(
    "Up to 10 files, 25 MB each: PDF, images, Office documents or text. "
    "Do not send passwords or national identity numbers unless we ask for them."
)


class SubmissionKeyMixin(forms.Form):
    """A one-time key in the form, so a second submission of it makes nothing new."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


class NewCaseForm(SubmissionKeyMixin):
    category = forms.ChoiceField(label=_("Category"), widget=forms.RadioSelect)
    subject_area = forms.ModelChoiceField(
        label=_("Subject area"),
        queryset=SubjectArea.objects.none(),
        empty_label=_("Choose subject area"),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        help_text=_("A short description that makes the case easy to find again."),
    )
    description = forms.CharField(
        label=_("Describe the case"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        help_text=_("What happened, for whom, and what you need from us."),
    )
    attachments = AttachmentsField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = organisation.areas
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [(str(area), area.label) for area in areas]
        if len(areas) == 1 and not self.is_bound:
            self.initial.setdefault("category", str(areas[0]))
        queryset = SubjectArea.objects.filter(is_active=True, category__in=areas)
        subject_field = self.fields["subject_area"]
        assert isinstance(subject_field, forms.ModelChoiceField)
        subject_field.queryset = queryset
        # Grouped by category, so the choice works without JavaScript.
        groups: list[tuple[str, list[tuple[int, str]]]] = []
        for area in areas:
            options = [(s.pk, s.name) for s in queryset if s.category == area]
            groups.append((str(area.label), options))
        subject_field.choices = [("", _("Choose subject area")), *groups]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        category = cleaned.get("category")
        subject_area = cleaned.get("subject_area")
        if category and subject_area and subject_area.category != category:
            self.add_error(
                "subject_area",
                ValidationError(
                    _("Choose a subject area in %(category)s.")
                    % {"category": Area(category).label.lower()},
                    code="subject_area_category",
                ),
            )
        return cleaned


class MessageForm(SubmissionKeyMixin):
    body = forms.CharField(
        label=_("New message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
    )
    attachments = AttachmentsField(label=_("Attachments"), help_text=ATTACHMENT_HELP)
