"""The support desk's forms: the answer box and how a case is worked (cases/desk.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.forms import ATTACHMENT_HELP, AttachmentsField, SubmissionKeyMixin
from cases.models import AnswerTemplate, Case, SubjectArea
from portal.models import Area, User
from portal.teams import TEAM_GROUPS

# What the answer box's buttons do: (status after the answer, or None for unchanged).
ANSWER_ACTIONS: dict[str, Case.Status | None] = {
    "svar": None,
    "svar_venter": Case.Status.WAITING_FOR_CUSTOMER,
    "svar_avslutt": Case.Status.CLOSED,
}
INSERT_TEMPLATE = "mal"


def team_staff(category: str) -> QuerySet[User]:
    """The staff who may be assigned a case of ``category``: its team, and superusers."""
    team = Q(is_superuser=True) | Q(groups__name=TEAM_GROUPS[Area(category)])
    return (
        User.objects.filter(team, is_staff=True, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AnswerForm(SubmissionKeyMixin):
    """Answer the customer or write an internal note, with attachments, and perhaps set
    the status in the same step (the button pressed, ``ANSWER_ACTIONS``)."""

    kind = forms.ChoiceField(
        label=_("Who reads it"),
        choices=[
            ("svar", _("Answer to the customer")),
            ("notat", _("Internal note (only the customer centre sees it)")),
        ],
        initial="svar",
        widget=forms.RadioSelect,
    )
    template = forms.ModelChoiceField(
        label=_("Answer template"),
        queryset=AnswerTemplate.objects.none(),
        required=False,
        empty_label=_("Choose a template"),
        help_text=_("Inserted where the cursor is, with the customer's name and the case number."),
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        required=False,
    )
    attachments = AttachmentsField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    def __init__(self, *args: Any, case: Case, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.action = action
        templates = AnswerTemplate.objects.filter(area=case.category, is_active=True)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.action == INSERT_TEMPLATE:
            if not cleaned.get("template"):
                self.add_error("template", _("Choose the template to insert."))
            return cleaned
        if "body" not in self.errors and not str(cleaned.get("body", "")).strip():
            self.add_error("body", _("Write the answer or the note."))
        status = ANSWER_ACTIONS.get(self.action)
        if cleaned.get("kind") == "notat" and status == Case.Status.WAITING_FOR_CUSTOMER:
            self.add_error(
                "kind",
                ValidationError(
                    _(
                        "The customer does not see an internal note. Choose “Answer to the "
                        "customer” to set the case to Waiting for customer."
                    )
                ),
            )
        return cleaned

    @property
    def then_status(self) -> Case.Status | None:
        return ANSWER_ACTIONS.get(self.action)

    def with_template(self) -> str:
        """The text with the chosen template added where a browser without JavaScript
        can put it: after what was typed."""
        typed = str(self.cleaned_data.get("body", "")).rstrip()
        template = self.cleaned_data["template"].filled_in(self.case)
        return f"{typed}\n\n{template}" if typed else template


class WorkForm(forms.Form):
    """Status, assignee and subject area: how the case is worked."""

    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    assigned_to = forms.ModelChoiceField(
        label=_("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (unassigned)"),
    )
    subject_area = forms.ModelChoiceField(
        label=_("Subject area"),
        queryset=SubjectArea.objects.none(),
        help_text=_("Correct it if the customer chose the wrong one; the history keeps both."),
    )

    def __init__(self, *args: Any, case: Case, areas: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        assignee = self.fields["assigned_to"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = team_staff(case.category)
        subject = self.fields["subject_area"]
        assert isinstance(subject, forms.ModelChoiceField)
        subject.queryset = SubjectArea.objects.filter(category__in=areas).filter(
            is_active=True
        ) | SubjectArea.objects.filter(pk=case.subject_area_id)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        subject_area, assignee = cleaned.get("subject_area"), cleaned.get("assigned_to")
        if (
            subject_area
            and assignee
            and subject_area.category != self.case.category
            and not team_staff(subject_area.category).filter(pk=assignee.pk).exists()
        ):
            self.add_error(
                "assigned_to",
                _("%(person)s is not on the team that works this case.") % {"person": assignee},
            )
        return cleaned
